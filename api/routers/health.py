"""Liveness and readiness probes."""

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from api.deps import SessionDep
from twin import store

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> dict:
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz")
def readyz(session: SessionDep) -> JSONResponse:
    """The database answers and holds a scenario."""
    session.execute(text("SELECT 1"))
    seeded = bool(store.meta(session))
    body = {"status": "ready" if seeded else "not_seeded", "database": "ok", "seeded": seeded}
    return JSONResponse(body, status_code=200 if seeded else 503)
