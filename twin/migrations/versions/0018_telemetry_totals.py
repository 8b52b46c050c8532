"""telemetry totals: per truck, the count and sensor sums of its readings, kept by triggers as readings are written

Revision ID: 0018
Revises: 0017
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

SENSORS = ("engine_temp_c", "oil_pressure_kpa", "vibration_mm_s", "fault_codes")
COLUMNS = ", ".join(SENSORS)
ADD = ", ".join(f"{name} = telemetrytotal.{name} + excluded.{name}" for name in SENSORS)


def _sqlite_triggers() -> list[str]:
    """Row triggers: a reading added counts in, one deleted counts out, one changed does both."""

    def upsert(row: str, sign: int) -> str:
        values = ", ".join(f"{sign} * {row}.{name}" for name in SENSORS)
        return (
            f"INSERT INTO telemetrytotal (truck, readings, {COLUMNS}) VALUES ({row}.truck, {sign}, {values}) "
            f"ON CONFLICT (truck) DO UPDATE SET readings = telemetrytotal.readings + excluded.readings, {ADD};"
        )

    return [
        f"CREATE TRIGGER telemetrytotal_insert AFTER INSERT ON telemetryreading BEGIN {upsert('NEW', 1)} END",
        f"CREATE TRIGGER telemetrytotal_delete AFTER DELETE ON telemetryreading BEGIN {upsert('OLD', -1)} END",
        f"CREATE TRIGGER telemetrytotal_update AFTER UPDATE ON telemetryreading BEGIN "
        f"{upsert('OLD', -1)} {upsert('NEW', 1)} END",
    ]


def _postgres_triggers() -> list[str]:
    """Statement triggers over the transition tables: one grouped upsert per statement, however many rows it wrote."""
    sums = ", ".join(f"sum(sign * {name})" for name in SENSORS)

    def body(parts: list[tuple[str, int]]) -> str:
        rows = " UNION ALL ".join(f"SELECT truck, {sign} AS sign, {COLUMNS} FROM {table}" for table, sign in parts)
        return (
            f"INSERT INTO telemetrytotal (truck, readings, {COLUMNS}) "
            f"SELECT truck, sum(sign), {sums} "
            f"FROM ({rows}) AS changed GROUP BY truck "
            f"ON CONFLICT (truck) DO UPDATE SET readings = telemetrytotal.readings + excluded.readings, {ADD};"
        )

    statements = []
    for event, parts, referencing in (
        ("INSERT", [("new_rows", 1)], "NEW TABLE AS new_rows"),
        ("DELETE", [("old_rows", -1)], "OLD TABLE AS old_rows"),
        ("UPDATE", [("old_rows", -1), ("new_rows", 1)], "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
    ):
        name = f"telemetrytotal_{event.lower()}"
        statements += [
            f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN {body(parts)} RETURN NULL; END $$",
            f"CREATE TRIGGER {name} AFTER {event} ON telemetryreading REFERENCING {referencing} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {name}()",
        ]
    return statements


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "telemetrytotal",
        sa.Column("truck", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("readings", sa.Integer(), nullable=False),
        *(sa.Column(name, sa.Float(), nullable=False) for name in SENSORS),
        sa.PrimaryKeyConstraint("truck"),
    )
    op.execute(
        f"INSERT INTO telemetrytotal (truck, readings, {COLUMNS}) "
        f"SELECT truck, count(*), {', '.join(f'sum({name})' for name in SENSORS)} FROM telemetryreading GROUP BY truck"
    )
    postgres = op.get_bind().dialect.name == "postgresql"
    for statement in _postgres_triggers() if postgres else _sqlite_triggers():
        op.execute(statement)


def downgrade() -> None:
    """Revert this revision."""
    postgres = op.get_bind().dialect.name == "postgresql"
    for event in ("insert", "delete", "update"):
        op.execute(f"DROP TRIGGER IF EXISTS telemetrytotal_{event}" + (" ON telemetryreading" if postgres else ""))
        if postgres:
            op.execute(f"DROP FUNCTION IF EXISTS telemetrytotal_{event}()")
    op.drop_table("telemetrytotal")
