"""Database engine, sessions and schema migrations (Alembic) for SQLite and PostgreSQL."""

import re
from collections.abc import Generator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import event, inspect, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.pool import ConnectionPoolEntry
from sqlmodel import Session, SQLModel, create_engine

if TYPE_CHECKING:
    from alembic.config import Config
    from alembic.runtime.environment import NameFilterParentNames, NameFilterType

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# In WAL mode NORMAL skips the fsync of every commit: a committed transaction survives the process being killed
# (the WAL is in the OS's cache), only a power cut or kernel crash can lose the last commits, never corrupt the file.
SQLITE_SYNC = "NORMAL"
REVISION_LINE = re.compile(r"^(down_revision|revision)\b[^=\n]*=\s*['\"]?(\w+)", re.MULTILINE)


def make_engine(url: str, pool_size: int = 5, pool_timeout_s: float = 30.0) -> Engine:
    """An engine for the URL with a pool of at most `pool_size` connections; SQLite files get their folder,
    WAL mode and foreign keys; only server connections are probed at checkout (a server can drop them, not a file)."""
    sqlite = url.startswith("sqlite:///")
    pool = {"pool_size": pool_size, "max_overflow": 0, "pool_timeout": pool_timeout_s, "pool_pre_ping": not sqlite}
    if sqlite:
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **pool)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, **pool)


def _sqlite_pragmas(dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
    """Turn on WAL, commits without a disk flush (durable when the process dies, see `SQLITE_SYNC`) and foreign keys
    for each SQLite connection."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA synchronous={SQLITE_SYNC}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def ours(name: str | None, _type: "NameFilterType", _parents: "NameFilterParentNames") -> bool:
    """Whether a schema object is the twin's: the task queue's tables belong to Procrastinate (migration 0008)."""
    return not (name or "").startswith("procrastinate_")


def alembic_config(engine: Engine) -> "Config":
    """An Alembic config pointing at the twin's migrations and this engine."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


def migrate(engine: Engine, revision: str = "head") -> None:
    """Upgrade the schema to the revision (idempotent); a database already at the head skips loading Alembic."""
    if revision == "head" and applied_revisions(engine) == head_revisions():
        return
    from alembic import command

    command.upgrade(alembic_config(engine), revision)


def head_revisions() -> set[str]:
    """The revisions of the migration scripts that no other script builds on (read from the files)."""
    revisions, parents = set(), set()
    for script in (MIGRATIONS_DIR / "versions").glob("*.py"):
        for key, value in REVISION_LINE.findall(script.read_text()):
            (revisions if key == "revision" else parents).add(value)
    return revisions - parents


def applied_revisions(engine: Engine) -> set[str]:
    """The revisions Alembic recorded in the database (empty for a new database)."""
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return set()
        return {row[0] for row in connection.execute(text("SELECT version_num FROM alembic_version"))}


def conflict_insert(engine: Engine, model: type[SQLModel]) -> sqlite.Insert | postgresql.Insert:
    """An INSERT into the model's table in the engine's dialect, which can say what to do on a key conflict."""
    insert = sqlite.insert if engine.dialect.name == "sqlite" else postgresql.insert
    return insert(SQLModel.metadata.tables[str(model.__tablename__)])


def insert_missing(session: Session, model: type[SQLModel], rows: list[dict[str, Any]], keys: list[str]) -> None:
    """Insert the rows whose `keys` no stored row holds yet: a row another process stores first is skipped, never a
    unique-constraint error (servers starting together store the same defaults)."""
    connection = session.connection()
    statement = conflict_insert(connection.engine, model).values(rows).on_conflict_do_nothing(index_elements=keys)
    connection.execute(statement)


@contextmanager
def session_scope(engine: Engine) -> Generator[Session]:
    """A session that commits on success and rolls back on error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except Exception:
            session.rollback()
            raise
