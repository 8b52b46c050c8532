"""Paged listings: the page shape, its query parameters (a cursor, or an offset), and counting a query's matches."""

import base64
import binascii
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field
from sqlalchemy import Date, DateTime, Row, Select, and_, func, or_, select
from sqlalchemy.orm import Mapped, QueryableAttribute
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session

T = TypeVar("T")
MAX_PAGE = 500

Limit = Annotated[int, Query(ge=1, le=MAX_PAGE, description="Items per page.")]
Offset = Annotated[int, Query(ge=0, le=2**31 - 1, description="Items to skip (a `cursor` is cheaper).")]
Cursor = Annotated[
    str | None, Query(max_length=500, description="`next_cursor` of the page before (instead of `offset`).")
]


class Page(BaseModel, Generic[T]):
    """One page of a listing and how many items match in all."""

    items: list[T]
    total: int = Field(description="Matching items over all pages.")
    limit: int
    offset: int
    next_cursor: str | None = Field(
        default=None, description="Pass as `cursor` for the next page; null on the last one."
    )


def encode_cursor(values: list) -> str:
    """An opaque cursor holding the sort key of the last item of a page."""
    return base64.urlsafe_b64encode(json.dumps(values, default=str).encode()).decode()


def _not_a_cursor(cursor: str, field: str) -> RequestValidationError:
    """The 422 for a cursor this listing did not write."""
    return RequestValidationError(
        [{"type": "value_error", "loc": ("query", field), "msg": "not a cursor from this listing", "input": cursor}]
    )


def decode_cursor(
    cursor: str, field: str = "cursor", length: int | None = None, types: tuple[type | tuple[type, ...], ...] = ()
) -> list:
    """The sort key a cursor holds (of `length` values, or of `types` when given); a 422 naming the parameter when it
    is not one of ours."""
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError) as error:
        raise _not_a_cursor(cursor, field) from error
    length = len(types) if types else length
    if not isinstance(values, list) or (length is not None and len(values) != length):
        raise _not_a_cursor(cursor, field)
    if types and not all(isinstance(value, kind) for value, kind in zip(values, types, strict=True)):
        raise _not_a_cursor(cursor, field)
    return values


@dataclass(frozen=True)
class Keyset:
    """The columns a listing is ordered by (all ascending or all descending), unique together, for cursors: an
    entity's attributes, or labelled columns of a listing of plain values."""

    columns: tuple[ColumnElement[Any] | Mapped[Any], ...]
    descending: bool

    def order(self) -> list:
        """The ORDER BY clauses of the listing."""
        return [column.desc() if self.descending else column for column in self.columns]

    def values(self, row: Row) -> list:
        """The sort key of a result row: its labelled columns, else the attributes of its entity."""
        named = row._mapping
        keys = [str(_sql(column).key) for column in self.columns]
        return [named[key] if key in named else getattr(row[0], key) for key in keys]

    def after(self, cursor: str) -> Any:
        """The condition selecting the rows that sort after the cursor's key."""
        key = decode_cursor(cursor, length=len(self.columns))
        typed = [_typed(column, value) for column, value in zip(self.columns, key, strict=True)]
        clauses = []
        for index, column in enumerate(self.columns):
            beyond = column < typed[index] if self.descending else column > typed[index]
            clauses.append(and_(*(self.columns[i] == typed[i] for i in range(index)), beyond))
        return or_(*clauses)


def _sql(column: ColumnElement[Any] | Mapped[Any]) -> ColumnElement[Any]:
    """The SQL column of a keyset's column: an entity's attribute (read through `col()`) maps to one."""
    if isinstance(column, QueryableAttribute):
        return column.expression
    if isinstance(column, ColumnElement):
        return column
    raise TypeError(f"not a column: {column!r}")


def _typed(column: ColumnElement[Any] | Mapped[Any], value: Any) -> Any:
    """A cursor value as the column's Python type (moments and days were written as ISO text)."""
    sql = _sql(column)
    kinds = (sql.type, getattr(sql.type, "impl", None))
    if isinstance(value, str) and any(isinstance(kind, DateTime) for kind in kinds):
        return datetime.fromisoformat(value)
    if isinstance(value, str) and any(isinstance(kind, Date) for kind in kinds):
        return date.fromisoformat(value)
    return value


def paginate(
    session: Session,
    statement: Select,
    limit: int,
    offset: int,
    item: Callable[[Any], T],
    keyset: Keyset | None = None,
    cursor: str | None = None,
) -> Page[T]:
    """One page of an ordered query's rows, each made an item, with the count of all matches; with a keyset, the
    page after `cursor` (offset ignored) and the cursor of the next one."""
    total = session.execute(select(func.count()).select_from(statement.order_by(None).subquery())).scalar_one()
    if keyset and cursor:
        statement, offset = statement.where(keyset.after(cursor)), 0
    rows = session.execute(statement.limit(limit + 1).offset(offset)).all()
    more, rows = len(rows) > limit, rows[:limit]
    following = encode_cursor(keyset.values(rows[-1])) if keyset and more else None
    return Page(items=[item(row) for row in rows], total=total, limit=limit, offset=offset, next_cursor=following)
