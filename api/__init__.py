"""The HTTP API: the FastAPI app, its routers, auth, and the chat endpoint."""
