"""decision lifecycle: recoverable intake, duplicate subjects, verdict claims, fingerprints

Revision ID: 0004
Revises: 0003
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

TEXT = sqlmodel.sql.sqltypes.AutoString
MOMENT = sqlmodel.sql.sqltypes.UTCDateTime


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table('exception', schema=None) as batch_op:
        batch_op.add_column(sa.Column('request_hash', TEXT(), nullable=True))
        batch_op.add_column(sa.Column('subject', TEXT(), nullable=True))
        batch_op.add_column(sa.Column('duplicate_of', TEXT(), nullable=True))
        batch_op.add_column(sa.Column('decided_at', MOMENT(), nullable=True))
        batch_op.add_column(sa.Column('intake', TEXT(), nullable=False, server_default='decided'))
        batch_op.add_column(sa.Column('claim', TEXT(), nullable=True))
        batch_op.add_column(sa.Column('lease_until', MOMENT(), nullable=True))
        batch_op.add_column(sa.Column('attempts', sa.Integer(), nullable=False, server_default='0'))
        batch_op.create_index(batch_op.f('ix_exception_subject'), ['subject'], unique=False)
        batch_op.create_index(batch_op.f('ix_exception_duplicate_of'), ['duplicate_of'], unique=False)
        batch_op.create_index(batch_op.f('ix_exception_intake'), ['intake'], unique=False)
    with op.batch_alter_table('decision', schema=None) as batch_op:
        batch_op.add_column(sa.Column('fingerprint', sa.JSON(), nullable=False, server_default=sa.text("'{}'")))
        batch_op.add_column(sa.Column('verdict', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('claim', TEXT(), nullable=True))
        batch_op.add_column(sa.Column('lease_until', MOMENT(), nullable=True))
    op.create_table('subjectlock',
                    sa.Column('subject', TEXT(), nullable=False),
                    sa.Column('touched_at', MOMENT(), nullable=False),
                    sa.PrimaryKeyConstraint('subject'))


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table('subjectlock')
    with op.batch_alter_table('decision', schema=None) as batch_op:
        for column in ('lease_until', 'claim', 'verdict', 'fingerprint'):
            batch_op.drop_column(column)
    with op.batch_alter_table('exception', schema=None) as batch_op:
        for index in ('ix_exception_intake', 'ix_exception_duplicate_of', 'ix_exception_subject'):
            batch_op.drop_index(batch_op.f(index))
        for column in ('attempts', 'lease_until', 'claim', 'intake', 'decided_at', 'duplicate_of', 'subject',
                       'request_hash'):
            batch_op.drop_column(column)
