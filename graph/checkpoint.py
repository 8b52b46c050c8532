"""The checkpointer factory: SQLite beside the data by default, PostgreSQL when the database is PostgreSQL."""

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.postgres import PostgresSaver
from langgraph.checkpoint.sqlite import SqliteSaver
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool
from sqlalchemy.engine import make_url

from twin.settings import Settings


def postgres_dsn(database_url: str) -> str:
    """A libpq connection string from a SQLAlchemy PostgreSQL URL."""
    url = make_url(database_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


@contextmanager
def open_checkpointer(settings: Settings) -> Iterator[BaseCheckpointSaver]:
    """Open the process's one checkpointer (use it for the whole life of the process)."""
    url = settings.resolved_database_url
    if url.startswith("postgresql"):
        pool = ConnectionPool(postgres_dsn(url), min_size=1, max_size=4, open=True,
                              kwargs={"autocommit": True, "prepare_threshold": 0, "row_factory": dict_row})
        try:
            saver = PostgresSaver(pool)
            saver.setup()
            yield saver
        finally:
            pool.close()
        return
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    connection = sqlite3.connect(settings.data_dir / "checkpoints.db", check_same_thread=False)
    try:
        yield SqliteSaver(connection)
    finally:
        connection.close()
