"""The checkpointer factory: SQLite beside the data by default, PostgreSQL when the database is PostgreSQL."""

import sqlite3
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from enum import Enum
from typing import get_args

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer
from langgraph.checkpoint.sqlite import SqliteSaver
from pydantic import BaseModel
from sqlalchemy.engine import make_url

from graph.state import DeskState
from twin.db import SQLITE_SYNC
from twin.settings import Settings

RECONNECT_FOR_S = 5.0  # how long the PostgreSQL checkpointer's pool tries again to replace a lost connection


def _state_types(model: type, found: set[type] | None = None) -> set[type]:
    """Every class a checkpoint of the desk's state can hold: the state's models and enums, recursively."""
    found = set() if found is None else found
    if model in found:
        return found
    if issubclass(model, Enum):
        found.add(model)
    if not issubclass(model, BaseModel):
        return found
    found.add(model)
    for field in model.model_fields.values():
        for part in _annotation_types(field.annotation):
            _state_types(part, found)
    return found


def _annotation_types(annotation: object) -> Iterator[type]:
    """The classes named in a type annotation (inside unions, lists, dicts and literals)."""
    if isinstance(annotation, type):
        yield annotation
    for argument in get_args(annotation):
        yield from _annotation_types(argument)


def serializer() -> JsonPlusSerializer:
    """A checkpoint serializer that knows the desk's state types (no "unregistered type" warnings on resume)."""
    return JsonPlusSerializer(allowed_msgpack_modules=tuple(_state_types(DeskState)))


def postgres_dsn(database_url: str) -> str:
    """A libpq connection string from a SQLAlchemy PostgreSQL URL."""
    url = make_url(database_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


@contextmanager
def open_checkpointer(settings: Settings, max_connections: int = 4) -> Generator[BaseCheckpointSaver[str]]:
    """Open the process's one checkpointer (use it for the whole life of the process). On PostgreSQL its pool keeps
    one connection, opens up to `max_connections`, checks each before lending it (one the server dropped, say on a
    restart, is replaced rather than failing the run that borrows it) and waits `db_pool_timeout_s` for one; a lost
    connection is tried again for `RECONNECT_FOR_S` only, then afresh when next wanted, so a database that is back
    is used at once rather than after the pool's growing delays."""
    url = settings.resolved_database_url
    if url.startswith("postgresql"):
        from langgraph.checkpoint.postgres import PostgresSaver  # the PostgreSQL driver loads only when used
        from psycopg import Connection
        from psycopg.rows import DictRow, dict_row
        from psycopg_pool import ConnectionPool

        pool: ConnectionPool[Connection[DictRow]] = ConnectionPool(
            postgres_dsn(url),
            min_size=1,
            max_size=max_connections,
            open=True,
            check=ConnectionPool[Connection[DictRow]].check_connection,
            timeout=settings.db_pool_timeout_s,
            reconnect_timeout=RECONNECT_FOR_S,
            kwargs={"autocommit": True, "prepare_threshold": 0, "row_factory": dict_row},
        )
        try:
            saver = PostgresSaver(pool, serde=serializer())
            saver.setup()
            yield saver
        finally:
            pool.close()
        return
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    connection = sqlite3.connect(settings.data_dir / "checkpoints.db", check_same_thread=False)
    connection.execute("PRAGMA journal_mode=WAL")  # the same durability as the twin's database
    connection.execute(f"PRAGMA synchronous={SQLITE_SYNC}")
    try:
        yield SqliteSaver(connection, serde=serializer())
    finally:
        connection.close()
