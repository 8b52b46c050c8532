"""task queue: Procrastinate's tables and functions on PostgreSQL, the failure of a queued decision

Revision ID: 0008
Revises: 0007
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

TEXT = sqlmodel.sql.sqltypes.AutoString


def _driver_execute(sql: str) -> None:
    """Run SQL text as it is (Procrastinate's schema holds `%` and `$$` bodies) on the migration's connection."""
    op.get_bind().connection.driver_connection.execute(sql)


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table('exception', schema=None) as batch_op:
        batch_op.add_column(sa.Column('failure', TEXT(), nullable=True))
    if op.get_bind().dialect.name == 'postgresql':
        from procrastinate.schema import SchemaManager

        _driver_execute(SchemaManager.get_schema())


def downgrade() -> None:
    """Revert this revision."""
    if op.get_bind().dialect.name == 'postgresql':
        _driver_execute(
            "DROP TABLE IF EXISTS procrastinate_periodic_defers, procrastinate_events, procrastinate_jobs, "
            "procrastinate_workers CASCADE;"
            "DO $$ DECLARE item record; BEGIN "
            "FOR item IN SELECT p.oid::regprocedure AS signature FROM pg_proc p "
            "JOIN pg_namespace n ON n.oid = p.pronamespace "
            "WHERE n.nspname = current_schema() AND p.proname LIKE 'procrastinate%' "
            "LOOP EXECUTE 'DROP FUNCTION ' || item.signature || ' CASCADE'; END LOOP; END $$;"
            "DROP TYPE IF EXISTS procrastinate_job_to_defer_v1, procrastinate_job_event_type, "
            "procrastinate_job_status CASCADE;"
        )
    with op.batch_alter_table('exception', schema=None) as batch_op:
        batch_op.drop_column('failure')
