"""The FastAPI application: lifespan resources, routers and error handlers."""

import gc
import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack, asynccontextmanager, contextmanager

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from agents.modelbook import trained
from api import metrics
from api.conditional import ConditionalGet
from api.headers import SecurityHeaders
from api.routers import (
    attribution,
    audit,
    chat,
    console,
    decisions,
    exceptions,
    health,
    models,
    policies,
    tradeoff,
    twin,
    webhooks,
)
from api.throttle import Throttle
from api.validation import BodyLimit, check_input, validation_error
from graph.desk import open_desk
from twin.db import make_engine, migrate, session_scope
from twin.events import EventRejected
from twin.quality import reason_of
from twin.settings import Settings, get_settings
from worker.jobs import detection_loop, recovery_loop
from worker.webhooks import SecretBox, WebhookSettings, delivery_loop, seal_stored

logger = logging.getLogger(__name__)


@contextmanager
def frozen_heap() -> Iterator[None]:
    """The objects alive now (models, graphs, modules) left out of garbage collection until the exit: a full
    collection would walk them all while holding the GIL (hundreds of ms, every request waiting) to free none."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app for the given settings (the environment's by default)."""
    settings = settings or get_settings()
    if settings.queue:
        from graph.queue import TaskQueue

        TaskQueue(settings)  # refuses a database that cannot hold the queue, before anything starts

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(settings.resolved_database_url, settings.db_pool_size, settings.db_pool_timeout_s)
        migrate(engine)
        with session_scope(engine) as session:
            seal_stored(session, app.state.secret_box)
        app.state.engine = engine
        app.state.throttle = Throttle(settings, engine)
        async with AsyncExitStack() as stack:
            app.state.desk, app.state.desk_error = None, None
            try:
                if trained(settings.models_dir):
                    app.state.desk = stack.enter_context(open_desk(settings, engine))
                else:
                    logger.warning(
                        "no trained models under %s: decisions are off until `yardmaster train`", settings.models_dir
                    )
            except Exception as error:  # a corrupt artifact keeps decisions off, not the whole service
                app.state.desk_error = f"cannot be loaded: {type(error).__name__}: {error}"[:300]
                logger.error("models under %s %s: decisions are off", settings.models_dir, app.state.desk_error)
            await stack.enter_async_context(delivery_loop(engine, app.state.webhook_settings, app.state.secret_box))
            periodic = None if settings.queue else app.state.desk  # with a queue, the workers run them
            await stack.enter_async_context(detection_loop(periodic, settings.detect_interval_s))
            await stack.enter_async_context(
                recovery_loop(periodic, settings.sweep_interval_s, app.state.metrics.count_sweep)
            )
            stack.enter_context(frozen_heap())
            yield
        engine.dispose()

    app = FastAPI(
        title="Yardmaster",
        version="0.1.0",
        lifespan=lifespan,
        description="An open exception desk for logistics.",
        dependencies=[Depends(check_input)],
        docs_url=None,  # served from vendored files by the console router, under the strict CSP
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.webhook_settings = WebhookSettings()
    app.state.secret_box = SecretBox.open(app.state.webhook_settings, settings.data_dir)
    _wire(app, settings)
    return app


def _wire(app: FastAPI, settings: Settings) -> None:
    """The app's routers, console and metrics, middleware (conditional GET, body limit, security headers) and error
    handlers."""
    app.include_router(health.router)
    app.include_router(twin.router)
    app.include_router(webhooks.router)
    app.include_router(chat.router)
    app.include_router(exceptions.router)
    app.include_router(decisions.router)
    app.include_router(policies.router)
    app.include_router(tradeoff.router)
    app.include_router(models.router)
    app.include_router(audit.router)
    app.include_router(attribution.router)
    console.install(app)
    metrics.instrument(app)
    app.add_middleware(ConditionalGet)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(SecurityHeaders)
    app.exception_handler(EventRejected)(_event_rejected)  # the decorator form types a handler of one exception
    app.exception_handler(RequestValidationError)(_invalid_input)
    app.add_exception_handler(PoolTimeout, _database_unavailable)
    app.add_exception_handler(OperationalError, _database_unavailable)
    app.add_exception_handler(InterfaceError, _database_unavailable)
    app.add_exception_handler(Exception, _internal_error)


async def _internal_error(_request: Request, error: Exception) -> JSONResponse:
    """Any other failure: a JSON 500 (the error is logged, its text is not shown)."""
    logger.error("unhandled %s", type(error).__name__, exc_info=error)
    return JSONResponse(status_code=500, content={"detail": f"internal error ({type(error).__name__})"})


async def _database_unavailable(_request: Request, error: Exception) -> JSONResponse:
    """503 with `Retry-After` when no pooled connection is free in time or the database cannot be reached."""
    logger.warning("database unavailable: %s", error)
    busy = isinstance(error, PoolTimeout)
    return JSONResponse(
        status_code=503,
        headers={"Retry-After": "2" if busy else "5"},
        content={
            "detail": "all database connections are busy; retry shortly"
            if busy
            else "the database is unavailable; retry later"
        },
    )


INTAKES = {"/v1/events": "events", "/v1/exceptions": "exceptions"}  # the ingestion paths the quality gate counts


async def _invalid_input(request: Request, error: RequestValidationError) -> JSONResponse:
    """A 422 for invalid input; on an ingestion path each problem is counted under its data-quality reason."""
    if request.method == "POST" and (intake := INTAKES.get(request.url.path)):
        for item in error.errors():
            request.app.state.metrics.count_quality(intake, reason_of(str(item.get("type")), item.get("input")))
    return await validation_error(request, error)


async def _event_rejected(request: Request, error: EventRejected) -> JSONResponse:
    """A batch record that does not fit the twin: 422 naming the record and field, in FastAPI's error shape."""
    request.app.state.metrics.count_quality("events", error.reason)
    return JSONResponse(
        status_code=422, content={"detail": [{"type": "value_error", "loc": list(error.loc), "msg": error.message}]}
    )
