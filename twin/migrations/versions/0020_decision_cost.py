"""decision cost: each decision's expected cost in a column of its own, filled from its stored payload

Revision ID: 0020
Revises: 0019
"""

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("decision") as batch:
        batch.add_column(sa.Column("cost_usd", sa.Float(), nullable=False, server_default="0"))
    decision = sa.table("decision", sa.column("payload", sa.JSON()), sa.column("cost_usd", sa.Float()))
    cost = decision.c.payload["expected_impact"]["cost_usd"].as_float()
    op.execute(sa.update(decision).values(cost_usd=sa.func.coalesce(cost, 0.0)))


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("decision") as batch:
        batch.drop_column("cost_usd")
