"""Tests of the schema migrations."""

import os
import subprocess
import sys

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import SQLModel

from twin.db import applied_revisions, head_revisions, make_engine, migrate, ours
from twin.settings import PROJECT_ROOT


def test_migrations_build_exactly_the_declared_tables(empty_url):
    engine = make_engine(empty_url)
    migrate(engine)  # a second upgrade is a no-op
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"include_name": ours})
        differences = compare_metadata(context, SQLModel.metadata)
        tables = set(inspect(connection).get_table_names())
    engine.dispose()
    assert differences == []
    assert set(SQLModel.metadata.tables) <= tables


def test_a_database_at_the_head_is_not_migrated_again_and_alembic_stays_unloaded(empty_url):
    engine = make_engine(empty_url)
    assert applied_revisions(engine) == head_revisions() and len(head_revisions()) == 1
    engine.dispose()
    code = (
        "import sys\nfrom twin.db import make_engine, migrate\n"
        f"migrate(make_engine({empty_url!r}))\nprint('alembic' in sys.modules)"
    )
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert done.stdout.strip() == "False"


def test_a_new_database_is_migrated_to_the_head(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'new.db'}")
    assert applied_revisions(engine) == set()
    migrate(engine)
    assert applied_revisions(engine) == head_revisions()
    engine.dispose()


def test_sqlite_connections_use_wal_without_a_flush_per_commit_and_are_not_probed(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'twin.db'}")
    with engine.connect() as connection:
        pragmas = {
            name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()
            for name in ("journal_mode", "synchronous", "foreign_keys")
        }
    engine.dispose()
    assert pragmas == {"journal_mode": "wal", "synchronous": 1, "foreign_keys": 1}  # 1 is NORMAL
    assert engine.pool._pre_ping is False
