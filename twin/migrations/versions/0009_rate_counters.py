"""rate counters shared by the API processes

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "ratecounter",
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_index("ix_ratecounter_expires_at", "ratecounter", ["expires_at"])


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index("ix_ratecounter_expires_at", table_name="ratecounter")
    op.drop_table("ratecounter")
