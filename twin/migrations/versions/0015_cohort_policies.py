"""cohort policies: a rule's scope becomes its cohort pattern and gains a level (off, shadow, recommend, act); the
architects' answers to suggested policy changes

Revision ID: 0015
Revises: 0014
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("policy", schema=None) as batch_op:
        batch_op.alter_column("scope", new_column_name="cohort", existing_type=sa.String())
        batch_op.add_column(
            sa.Column("level", sqlmodel.sql.sqltypes.AutoString(), nullable=False, server_default="recommend")
        )
    op.execute("UPDATE policy SET level = CASE WHEN autonomy_level <= 2 THEN 'recommend' ELSE 'act' END")
    with op.batch_alter_table("policy", schema=None) as batch_op:
        batch_op.alter_column("level", server_default=None, existing_type=sa.String())
    op.create_table(
        "policysuggestionverdict",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("actor", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("suggestion", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table("policysuggestionverdict")
    with op.batch_alter_table("policy", schema=None) as batch_op:
        batch_op.drop_column("level")
        batch_op.alter_column("cohort", new_column_name="scope", existing_type=sa.String())
