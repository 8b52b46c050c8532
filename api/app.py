"""The FastAPI application: lifespan resources, routers and error handlers."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from api.routers import health, twin, webhooks
from api.webhooks import delivery_loop
from twin.db import make_engine, migrate
from twin.events import EventRejected
from twin.settings import Settings, get_settings


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app for the given settings (the environment's by default)."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(settings.resolved_database_url)
        migrate(engine)
        app.state.engine = engine
        async with delivery_loop(engine):
            yield
        engine.dispose()

    app = FastAPI(title="Yardmaster", version="0.1.0", lifespan=lifespan,
                  description="An open exception desk for logistics.")
    app.state.settings = settings
    app.include_router(health.router)
    app.include_router(twin.router)
    app.include_router(webhooks.router)
    app.add_exception_handler(EventRejected, _event_rejected)
    return app


async def _event_rejected(_request: Request, error: EventRejected) -> JSONResponse:
    """A batch record that does not fit the twin: 422 naming the record and field, in FastAPI's error shape."""
    return JSONResponse(status_code=422, content={"detail": [
        {"type": "value_error", "loc": list(error.loc), "msg": error.message}
    ]})
