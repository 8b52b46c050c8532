"""model monitoring: drift and performance of each model version over time, measured by the detector pass

Revision ID: 0019
Revises: 0018
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

MOMENT = sqlmodel.sql.sqltypes.UTCDateTime


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "modelmonitorrun",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("model", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("version", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("measured_at", MOMENT(), nullable=False),
        sa.Column("window_start", MOMENT(), nullable=False),
        sa.Column("window_end", MOMENT(), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("metrics", sa.JSON(), nullable=False),
        sa.Column("breaches", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("model", "version", "kind", "day"),
    )
    op.create_index("ix_modelmonitorrun_model", "modelmonitorrun", ["model"], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index("ix_modelmonitorrun_model", table_name="modelmonitorrun")
    op.drop_table("modelmonitorrun")
