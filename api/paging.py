"""Paged listings: the page shape, its query parameters, and counting a query's matches."""

from collections.abc import Callable
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel, Field
from sqlalchemy import Select, func, select
from sqlmodel import Session

T = TypeVar("T")

Limit = Annotated[int, Query(ge=1, le=500, description="Items per page.")]
Offset = Annotated[int, Query(ge=0, le=2**31 - 1, description="Items to skip.")]


class Page(BaseModel, Generic[T]):
    """One page of a listing and how many items match in all."""

    items: list[T]
    total: int = Field(description="Matching items over all pages.")
    limit: int
    offset: int


def paginate(session: Session, statement: Select, limit: int, offset: int, item: Callable[[Any], T]) -> Page[T]:
    """One page of an ordered query's rows, each made an item, with the count of all matches."""
    total = session.execute(select(func.count()).select_from(statement.order_by(None).subquery())).scalar_one()
    rows = session.execute(statement.limit(limit).offset(offset)).all()
    return Page(items=[item(row) for row in rows], total=total, limit=limit, offset=offset)
