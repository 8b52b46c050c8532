"""cost rates, customer notifications, carrier bookings, expedited service and transfer arrival

Revision ID: 0003
Revises: 0002
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table('costrate',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('value', sa.Float(), nullable=False),
    sa.Column('unit', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('updated_by', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('key', 'version')
    )
    with op.batch_alter_table('costrate', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_costrate_key'), ['key'], unique=False)
    op.create_table('customernotification',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('shipment_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('customer', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('decision_id', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('customernotification', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_customernotification_shipment_id'), ['shipment_id'], unique=False)
    op.create_table('carrierbooking',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('carrier', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('lane', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('week_start', sa.Date(), nullable=False),
    sa.Column('loads', sa.Float(), nullable=False),
    sa.Column('decision_id', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('carrierbooking', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_carrierbooking_carrier'), ['carrier'], unique=False)
        batch_op.create_index(batch_op.f('ix_carrierbooking_week_start'), ['week_start'], unique=False)
    with op.batch_alter_table('shipment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('service', sqlmodel.sql.sqltypes.AutoString(), nullable=False,
                                      server_default='standard'))
        batch_op.add_column(sa.Column('expedited_hours', sa.Float(), nullable=False, server_default='0'))
    with op.batch_alter_table('transferorder', schema=None) as batch_op:
        batch_op.add_column(sa.Column('arrives_on', sa.Date(), nullable=True))


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table('transferorder', schema=None) as batch_op:
        batch_op.drop_column('arrives_on')
    with op.batch_alter_table('shipment', schema=None) as batch_op:
        batch_op.drop_column('expedited_hours')
        batch_op.drop_column('service')
    op.drop_table('carrierbooking')
    op.drop_table('customernotification')
    op.drop_table('costrate')
