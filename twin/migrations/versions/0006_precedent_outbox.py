"""precedent outbox: a final decision's knowledge-base copy waits on its row until it is indexed

Revision ID: 0006
Revises: 0005
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

TEXT = sqlmodel.sql.sqltypes.AutoString
MOMENT = sqlmodel.sql.sqltypes.UTCDateTime


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table('decision', schema=None) as batch_op:
        batch_op.add_column(sa.Column('precedent', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('precedent_state', TEXT(), nullable=True))
        batch_op.add_column(sa.Column('precedent_claim', TEXT(), nullable=True))
        batch_op.add_column(sa.Column('precedent_lease_until', MOMENT(), nullable=True))
        batch_op.create_index(batch_op.f('ix_decision_precedent_state'), ['precedent_state'], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table('decision', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_decision_precedent_state'))
        for column in ('precedent_lease_until', 'precedent_claim', 'precedent_state', 'precedent'):
            batch_op.drop_column(column)
