"""FastAPI dependencies shared by the routers."""

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from sqlmodel import Session

from graph.desk import Desk
from twin.db import session_scope


def get_session(request: Request) -> Iterator[Session]:
    """A database session per request, committed when the handler succeeds."""
    with session_scope(request.app.state.engine) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def get_desk(request: Request) -> Desk:
    """The app's desk, or 503 while no models are trained."""
    desk = request.app.state.desk
    if desk is None:
        raise HTTPException(status_code=503, detail="no trained models: run `yardmaster train`, then restart")
    return desk


DeskDep = Annotated[Desk, Depends(get_desk)]
