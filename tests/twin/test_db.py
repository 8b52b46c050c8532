"""Tests of the schema migrations."""

import os
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import SQLModel, select

from twin import models as m
from twin.db import (
    alembic_config,
    applied_revisions,
    head_revisions,
    insert_missing,
    make_engine,
    migrate,
    ours,
    session_scope,
)
from twin.settings import PROJECT_ROOT


def test_migrations_build_exactly_the_declared_tables(empty_url):
    engine = make_engine(empty_url)
    migrate(engine)  # a second upgrade is a no-op
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"include_name": ours})
        differences = compare_metadata(context, SQLModel.metadata)
        tables = set(inspect(connection).get_table_names())
    engine.dispose()
    assert differences == []
    assert set(SQLModel.metadata.tables) <= tables


def test_a_database_at_the_head_is_not_migrated_again_and_alembic_stays_unloaded(empty_url):
    engine = make_engine(empty_url)
    assert applied_revisions(engine) == head_revisions() and len(head_revisions()) == 1
    engine.dispose()
    code = (
        "import sys\nfrom twin.db import make_engine, migrate\n"
        f"migrate(make_engine({empty_url!r}))\nprint('alembic' in sys.modules)"
    )
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert done.stdout.strip() == "False"


def test_a_new_database_is_migrated_to_the_head(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'new.db'}")
    assert applied_revisions(engine) == set()
    migrate(engine)
    assert applied_revisions(engine) == head_revisions()
    engine.dispose()


def add_decisions(engine, payloads: list[dict]) -> None:
    """Store one decision per payload (DEC-1, DEC-2, ...) on one exception."""
    now = datetime.now(UTC)
    with session_scope(engine) as session:
        session.add(m.ExceptionRecord(id="EXC-1", occurred_at=now, created_at=now))
        session.flush()
        for number, payload in enumerate(payloads, start=1):
            session.add(
                m.DecisionRecord(
                    id=f"DEC-{number}",
                    exception_id="EXC-1",
                    specialist="routing",
                    status="pending_approval",
                    confidence=0.9,
                    payload=payload,
                    thread_id="EXC-1",
                    created_at=now,
                    updated_at=now,
                )
            )


def test_the_cost_column_is_filled_from_each_stored_decision(empty_url):
    engine = make_engine(empty_url)
    add_decisions(engine, [{"expected_impact": {"cost_usd": 412.5}}, {"expected_impact": {}}])
    command.downgrade(alembic_config(engine), "0019")
    migrate(engine)
    with session_scope(engine) as session:
        costs = dict(session.exec(select(m.DecisionRecord.id, m.DecisionRecord.cost_usd)).all())
    engine.dispose()
    assert costs == {"DEC-1": 412.5, "DEC-2": 0.0}


def test_the_action_types_column_is_filled_from_each_stored_decision(empty_url):
    engine = make_engine(empty_url)
    actions = [{"type": "expedite_shipment", "params": {"hours_saved": 4}}, {"type": "notify_customer", "params": {}}]
    add_decisions(engine, [{"actions": actions}, {"actions": []}, {}])
    command.downgrade(alembic_config(engine), "0020")
    migrate(engine)
    with session_scope(engine) as session:
        types = dict(session.exec(select(m.DecisionRecord.id, m.DecisionRecord.action_types)).all())
    engine.dispose()
    assert types == {"DEC-1": ["expedite_shipment", "notify_customer"], "DEC-2": [], "DEC-3": []}


def test_sqlite_connections_use_wal_without_a_flush_per_commit_and_are_not_probed(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'twin.db'}")
    with engine.connect() as connection:
        pragmas = {
            name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()
            for name in ("journal_mode", "synchronous", "foreign_keys")
        }
    engine.dispose()
    assert pragmas == {"journal_mode": "wal", "synchronous": 1, "foreign_keys": 1}  # 1 is NORMAL
    assert engine.pool._pre_ping is False


def test_rows_another_process_stores_meanwhile_are_skipped_not_an_error(empty_url):
    engine = make_engine(empty_url, pool_size=4)
    migrate(engine)
    now = datetime.now(UTC)
    rows = [
        {"action_type": kind, "cohort": "*", "allowed_tiers": [], "updated_at": now}
        for kind in ("reroute", "switch_carrier", "transfer_stock")
    ]
    start = threading.Barrier(4)

    def store(share: list[dict]) -> None:
        start.wait()
        with session_scope(engine) as session:
            insert_missing(session, m.Policy, share, ["action_type", "cohort"])

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(store, [rows, rows[::-1], rows[:2], rows[1:]]))
    with session_scope(engine) as session:
        stored = sorted(session.exec(select(m.Policy.action_type)).all())
    engine.dispose()
    assert stored == ["reroute", "switch_carrier", "transfer_stock"]
