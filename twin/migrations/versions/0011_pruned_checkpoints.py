"""decisions whose checkpoint history the sweep pruned

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("decision", schema=None) as batch_op:
        batch_op.add_column(sa.Column("checkpoints_pruned", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.create_index("ix_decision_checkpoints_pruned", ["checkpoints_pruned"])


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("decision", schema=None) as batch_op:
        batch_op.drop_index("ix_decision_checkpoints_pruned")
        batch_op.drop_column("checkpoints_pruned")
