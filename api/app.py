"""The FastAPI application: lifespan resources, routers and error handlers."""

import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from api import metrics
from api.routers import audit, chat, decisions, exceptions, health, policies, twin, webhooks
from api.routers import console
from agents.modelbook import trained
from api.jobs import detection_loop, recovery_loop
from api.webhooks import delivery_loop
from graph.desk import open_desk
from twin.db import make_engine, migrate
from twin.events import EventRejected
from twin.settings import Settings, get_settings

logger = logging.getLogger(__name__)


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app for the given settings (the environment's by default)."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(settings.resolved_database_url)
        migrate(engine)
        app.state.engine = engine
        async with AsyncExitStack() as stack:
            app.state.desk = None
            if trained(settings.models_dir):
                app.state.desk = stack.enter_context(open_desk(settings, engine))
            else:
                logger.warning("no trained models under %s: decisions are off until `yardmaster train`",
                               settings.models_dir)
            await stack.enter_async_context(delivery_loop(engine))
            await stack.enter_async_context(detection_loop(app.state.desk, settings.detect_interval_s))
            await stack.enter_async_context(recovery_loop(app.state.desk, settings.sweep_interval_s))
            yield
        engine.dispose()

    app = FastAPI(title="Yardmaster", version="0.1.0", lifespan=lifespan,
                  description="An open exception desk for logistics.")
    app.state.settings = settings
    app.include_router(health.router)
    app.include_router(twin.router)
    app.include_router(webhooks.router)
    app.include_router(chat.router)
    app.include_router(exceptions.router)
    app.include_router(decisions.router)
    app.include_router(policies.router)
    app.include_router(audit.router)
    console.install(app)
    metrics.instrument(app)
    app.add_exception_handler(EventRejected, _event_rejected)
    return app


async def _event_rejected(_request: Request, error: EventRejected) -> JSONResponse:
    """A batch record that does not fit the twin: 422 naming the record and field, in FastAPI's error shape."""
    return JSONResponse(status_code=422, content={"detail": [
        {"type": "value_error", "loc": list(error.loc), "msg": error.message}
    ]})
