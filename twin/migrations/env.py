"""Alembic environment: runs migrations on the engine handed over by `twin.db.migrate`."""

from alembic import context
from sqlmodel import SQLModel

from twin import access as access  # registers its tables
from twin import models as models  # registers the tables
from twin.db import ours

config = context.config
engine = config.attributes["engine"]

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=SQLModel.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        include_name=ours,
    )
    with context.begin_transaction():
        context.run_migrations()
