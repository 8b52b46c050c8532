"""decision action types: each decision's action types in a column of their own, filled from its stored payload

Revision ID: 0021
Revises: 0020
"""

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

FILL = {
    "sqlite": "UPDATE decision SET action_types = (SELECT json_group_array(json_extract(action.value, '$.type')) "
    "FROM json_each(decision.payload, '$.actions') AS action)",
    "postgresql": "UPDATE decision SET action_types = coalesce((SELECT json_agg(action ->> 'type') "
    "FROM json_array_elements(decision.payload -> 'actions') AS action), '[]'::json)",
}


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("decision") as batch:
        batch.add_column(sa.Column("action_types", sa.JSON(), nullable=False, server_default="[]"))
    op.execute(FILL[op.get_bind().dialect.name])


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("decision") as batch:
        batch.drop_column("action_types")
