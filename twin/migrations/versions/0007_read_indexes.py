"""read indexes: carrier loads by week, open orders of a DC

Revision ID: 0007
Revises: 0006
"""

from alembic import op


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table('shipment', schema=None) as batch_op:
        batch_op.create_index('ix_shipment_shipped_at_carrier_lane', ['shipped_at', 'carrier', 'lane'], unique=False)
    with op.batch_alter_table('order', schema=None) as batch_op:
        batch_op.create_index('ix_order_dc_status_promised_date', ['dc', 'status', 'promised_date'], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table('order', schema=None) as batch_op:
        batch_op.drop_index('ix_order_dc_status_promised_date')
    with op.batch_alter_table('shipment', schema=None) as batch_op:
        batch_op.drop_index('ix_shipment_shipped_at_carrier_lane')
