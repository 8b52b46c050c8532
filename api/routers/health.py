"""Liveness and readiness probes."""

from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import text
from sqlmodel import Session

from agents.modelbook import trained
from twin import store

router = APIRouter(tags=["health"])


class Readiness(BaseModel):
    """What the service needs to decide, each part `ok` or what is wrong with it."""

    status: Literal["ready", "not_ready"]
    database: str
    seeded: bool
    models: str
    knowledge_base: str


@router.get("/healthz")
async def healthz() -> dict:
    """The process is up (answered on the event loop, never queued behind handlers in the thread pool)."""
    return {"status": "ok"}


def _database(request: Request) -> tuple[str, bool]:
    """Whether the database answers, and whether it holds a scenario."""
    try:
        with Session(request.app.state.engine) as session:
            session.execute(text("SELECT 1"))
            return "ok", bool(store.meta(session))
    except Exception as error:  # any failure to reach the database means not ready
        return f"unavailable: {type(error).__name__}", False


def _models(request: Request) -> str:
    """Whether the trained models are registered on disk and loaded by the desk."""
    settings = request.app.state.settings
    try:
        registered = trained(settings.models_dir)
    except ValueError as error:  # an unreadable registry entry
        return f"cannot be loaded: {type(error).__name__}"
    if not registered:
        return f"missing under {settings.models_dir}: run `yardmaster train`"
    if request.app.state.desk is None:
        return request.app.state.desk_error or "not loaded: restart the service"
    return "ok"


def _knowledge_base(request: Request) -> str:
    """Whether the knowledge base is there and holds the procedures."""
    settings, desk = request.app.state.settings, request.app.state.desk
    if settings.chroma_url is None and not settings.chroma_dir.is_dir():
        return f"missing: {settings.chroma_dir} is gone"
    if desk is None:
        return "not opened (no desk)"
    try:
        count = desk.toolbox.knowledge.procedures.count()
    except Exception as error:  # an unreachable Chroma server or a broken store
        return f"unavailable: {type(error).__name__}"
    return "ok" if count else "empty: no procedures indexed"


@router.get("/readyz", response_model=Readiness, responses={503: {"model": Readiness}})
def readyz(request: Request) -> JSONResponse:
    """Ready when the database answers and holds a scenario, the models are loaded and the knowledge base is there;
    503 naming what is missing otherwise."""
    database, seeded = _database(request)
    models, knowledge = _models(request), _knowledge_base(request)
    ready = database == "ok" and seeded and models == "ok" and knowledge == "ok"
    body = Readiness(
        status="ready" if ready else "not_ready",
        database=database,
        seeded=seeded,
        models=models,
        knowledge_base=knowledge,
    )
    return JSONResponse(body.model_dump(), status_code=200 if ready else 503)
