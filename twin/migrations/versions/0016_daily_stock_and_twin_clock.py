"""daily stock positions, and the twin's clock on decisions and executed actions

Revision ID: 0016
Revises: 0015
"""

from datetime import datetime, timedelta

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

MOMENT = sqlmodel.sql.sqltypes.UTCDateTime


def upgrade() -> None:
    """Apply this revision: a loaded twin's positions become the close of the day before its clock, and decisions and
    actions made before it are dated on the twin's clock by their exception."""
    op.create_table(
        'stockday',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('sku', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('location', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('on_hand', sa.Integer(), nullable=False),
        sa.Column('on_order', sa.Integer(), nullable=False),
        sa.Column('safety_stock', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('sku', 'location', 'day'),
    )
    op.create_index('ix_stockday_sku', 'stockday', ['sku'], unique=False)
    op.create_index('ix_stockday_location', 'stockday', ['location'], unique=False)
    op.create_index('ix_stockday_day', 'stockday', ['day'], unique=False)
    as_of = op.get_bind().execute(sa.text("SELECT value FROM twinmeta WHERE key = 'as_of'")).scalar()
    if as_of:
        op.get_bind().execute(
            sa.text(
                "INSERT INTO stockday (sku, location, day, on_hand, on_order, safety_stock) "
                "SELECT sku, location, :day, on_hand, in_transit, safety_stock FROM inventoryposition"
            ),
            {"day": datetime.fromisoformat(as_of).date() - timedelta(days=1)},
        )
    with op.batch_alter_table('decision') as batch:
        batch.add_column(sa.Column('twin_at', MOMENT(), nullable=True))
        batch.create_index('ix_decision_twin_at', ['twin_at'], unique=False)
    with op.batch_alter_table('action') as batch:
        batch.add_column(sa.Column('twin_at', MOMENT(), nullable=True))
        batch.create_index('ix_action_twin_at', ['twin_at'], unique=False)
    op.execute(
        "UPDATE decision SET twin_at = (SELECT occurred_at FROM exception WHERE exception.id = decision.exception_id)"
    )
    op.execute(
        "UPDATE action SET twin_at = (SELECT twin_at FROM decision WHERE decision.id = action.decision_id) "
        "WHERE status = 'executed'"
    )


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table('action') as batch:
        batch.drop_index('ix_action_twin_at')
        batch.drop_column('twin_at')
    with op.batch_alter_table('decision') as batch:
        batch.drop_index('ix_decision_twin_at')
        batch.drop_column('twin_at')
    op.drop_index('ix_stockday_day', table_name='stockday')
    op.drop_index('ix_stockday_location', table_name='stockday')
    op.drop_index('ix_stockday_sku', table_name='stockday')
    op.drop_table('stockday')
