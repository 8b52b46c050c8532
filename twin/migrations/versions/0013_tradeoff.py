"""tradeoff: the architect's versioned trade-off between freight, lateness and CO2 per customer tier and lane

Revision ID: 0013
Revises: 0012
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        'tradeoffrule',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('tier', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('lane', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('on_time', sa.Float(), nullable=False),
        sa.Column('co2', sa.Float(), nullable=False),
        sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('set_by', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('set_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('tier', 'lane', 'version'),
    )
    op.create_index('ix_tradeoffrule_tier', 'tradeoffrule', ['tier'], unique=False)
    op.create_index('ix_tradeoffrule_lane', 'tradeoffrule', ['lane'], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index('ix_tradeoffrule_lane', table_name='tradeoffrule')
    op.drop_index('ix_tradeoffrule_tier', table_name='tradeoffrule')
    op.drop_table('tradeoffrule')
