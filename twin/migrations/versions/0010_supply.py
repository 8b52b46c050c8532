"""supply: each SKU's supplier terms and purchase orders on order

Revision ID: 0010
Revises: 0009
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        'supplyterm',
        sa.Column('sku', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('supplier', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('supplier_name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('regular_lead_days', sa.Integer(), nullable=False),
        sa.Column('expedited_lead_days', sa.Integer(), nullable=False),
        sa.Column('source', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.ForeignKeyConstraint(['sku'], ['sku.code']),
        sa.PrimaryKeyConstraint('sku'),
    )
    op.create_table(
        'purchaseorder',
        sa.Column('id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('sku', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('location', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('qty', sa.Integer(), nullable=False),
        sa.Column('service', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('cost_usd', sa.Float(), nullable=False),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('arrives_on', sa.Date(), nullable=False),
        sa.Column('status', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('decision_id', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.ForeignKeyConstraint(['location'], ['location.code']),
        sa.ForeignKeyConstraint(['sku'], ['sku.code']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_purchaseorder_sku', 'purchaseorder', ['sku'], unique=False)
    op.create_index('ix_purchaseorder_arrives_on', 'purchaseorder', ['arrives_on'], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index('ix_purchaseorder_arrives_on', table_name='purchaseorder')
    op.drop_index('ix_purchaseorder_sku', table_name='purchaseorder')
    op.drop_table('purchaseorder')
    op.drop_table('supplyterm')
