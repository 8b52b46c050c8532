"""unmet demand

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 21:10:00.000000
"""

from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table('demandhistory') as batch:
        batch.add_column(sa.Column('unmet', sa.Integer(), nullable=False, server_default='0'))


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table('demandhistory') as batch:
        batch.drop_column('unmet')
