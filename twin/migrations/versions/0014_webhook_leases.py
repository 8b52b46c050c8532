"""webhook leases: one delivering process at a time per subscriber

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "webhooklease",
        sa.Column("subscription_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("holder", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("leased_until", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["subscription_id"], ["webhooksubscription.id"]),
        sa.PrimaryKeyConstraint("subscription_id"),
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table("webhooklease")
