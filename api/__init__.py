"""The HTTP API, the chat endpoint and the `yardmaster` command line."""
