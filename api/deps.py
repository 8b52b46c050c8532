"""FastAPI dependencies shared by the routers."""

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from sqlmodel import Session

from graph.desk import Desk
from twin.db import session_scope


def get_session(request: Request) -> Iterator[Session]:
    """A database session per request, committed when the handler returns and before the response is sent."""
    with session_scope(request.app.state.engine) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def get_desk(request: Request) -> Desk:
    """The app's desk, or 503 while no models are trained or they cannot be loaded."""
    desk = request.app.state.desk
    if desk is None:
        problem = request.app.state.desk_error or "no trained models: run `yardmaster train`, then restart"
        raise HTTPException(status_code=503, detail=f"decisions are off: {problem}", headers={"Retry-After": "60"})
    return desk


DeskDep = Annotated[Desk, Depends(get_desk)]


def get_desk_if_ready(request: Request) -> Desk | None:
    """The app's desk, or None while no models are trained (views that only add model scores go on without them)."""
    return request.app.state.desk


MaybeDeskDep = Annotated[Desk | None, Depends(get_desk_if_ready)]
