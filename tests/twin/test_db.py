"""Tests of the schema migrations."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import SQLModel

from twin.db import make_engine, migrate


def test_migrations_build_exactly_the_declared_tables(empty_url):
    engine = make_engine(empty_url)
    migrate(engine)  # a second upgrade is a no-op
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
        tables = set(inspect(connection).get_table_names())
    engine.dispose()
    assert differences == []
    assert set(SQLModel.metadata.tables) <= tables
