"""Queue mode on PostgreSQL: intake enqueues each decision in its own transaction, workers decide each once,
work on one subject is serialised, and a decision that keeps failing ends `failed`."""

import asyncio
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlmodel import select
from typer.testing import CliRunner

from agents import detectors
from agents.schemas import ExceptionIn
from cli.main import app as cli
from graph import intake
from graph.desk import Desk, open_desk
from graph.queue import DECISIONS_QUEUE, PERIODIC_QUEUE, QueueMisconfigured, TaskQueue, subject_lock
from tests.faults.invariants import assert_decided_once
from twin import models as m
from twin.settings import Settings
from worker.jobs import detector_pass
from worker.run import every_seconds_cron, register_tasks, release_lost, worker_connections

POSTGRES_ONLY = [pytest.param("postgres", marks=pytest.mark.postgres)]
STOCK = {"type": "stockout_risk", "refs": {"sku": "SKU-0042", "location": "DC-DAL"}}
SPIKE = {"type": "demand_spike", "refs": {"sku": "SKU-0042", "location": "DC-DAL"}}
LATE = {"type": "late_shipment", "refs": {"shipment_id": "SHP-000010"}}


@pytest.fixture
def queued_desk(desk_settings: Settings) -> Iterator[Desk]:
    """A desk in queue mode on a private seeded PostgreSQL database, with the worker's tasks bound to it."""
    settings = desk_settings.model_copy(
        update={"queue": "procrastinate", "detect_interval_s": 0.0, "decide_max_attempts": 3}
    )
    with open_desk(settings) as opened:
        register_tasks(opened.queue, opened)
        yield opened
    opened.toolbox.engine.dispose()


def jobs(desk: Desk) -> list[dict]:
    """Every job in the queue (the periodic sweep's too), oldest first."""
    with desk.toolbox.engine.connect() as connection:
        rows = connection.execute(
            text("SELECT task_name, lock, args, status::text AS status, attempts FROM procrastinate_jobs ORDER BY id")
        )
        return [dict(row._mapping) for row in rows]


def drain(desk: Desk, timeout_s: float = 60) -> None:
    """Run a worker until no job waits, including retries scheduled for later."""

    async def once() -> None:
        async with desk.queue.app.open_async():
            await desk.queue.app.run_worker_async(queues=[DECISIONS_QUEUE, PERIODIC_QUEUE], wait=False)

    deadline = time.monotonic() + timeout_s
    while any(job["status"] in ("todo", "doing") for job in jobs(desk)):
        assert time.monotonic() < deadline, jobs(desk)
        asyncio.run(once())
        time.sleep(0.2)


@pytest.mark.parametrize("backend", POSTGRES_ONLY)
def test_intake_stores_the_exception_and_its_job_in_one_transaction(queued_desk):
    exception = ExceptionIn.model_validate(LATE)
    with queued_desk.toolbox.session() as session:
        taken = intake.take_in(session, exception, "test", None, 60, 24, claimed=False)
        queued_desk.queue.defer_decision(session, taken.exception_id, exception.refs.present())
        session.rollback()
    assert jobs(queued_desk) == []
    taken = queued_desk.take_in(exception, "test", "tms-1")
    with queued_desk.toolbox.session() as session:
        [record] = session.exec(select(m.ExceptionRecord)).all()
    assert (record.id, record.intake, record.claim) == (taken.exception_id, "received", None)
    assert jobs(queued_desk) == [
        {
            "task_name": "decide",
            "lock": "SHP-000010",
            "args": {"exception_id": taken.exception_id},
            "status": "todo",
            "attempts": 0,
        }
    ]
    assert queued_desk.take_in(exception, "test", "tms-1").exception_id == taken.exception_id
    assert len(jobs(queued_desk)) == 1, "a retry with the same key enqueues nothing"


@pytest.mark.slow
@pytest.mark.parametrize("backend", POSTGRES_ONLY)
def test_a_worker_decides_each_queued_exception_once_one_subject_at_a_time(queued_desk, desk_settings):
    taken = [queued_desk.take_in(ExceptionIn.model_validate(body), "test", None) for body in (STOCK, SPIKE, LATE)]
    duplicate = queued_desk.take_in(ExceptionIn.model_validate(STOCK), "test", None)
    assert duplicate.duplicate_of == taken[0].exception_id
    decide_jobs = [job for job in jobs(queued_desk) if job["task_name"] == "decide"]
    assert [job["lock"] for job in decide_jobs] == [
        "SKU-0042@DC-DAL",
        "SKU-0042@DC-DAL",
        "SHP-000010",
    ]
    assert queued_desk.answer(ExceptionIn.model_validate(LATE), "test", None, 0.2)[1] is None, "no worker yet"
    drain(queued_desk)
    assert {job["status"] for job in jobs(queued_desk)} == {"succeeded"}
    for one in taken:
        assert_decided_once(desk_settings.database_url, one.exception_id)
    with queued_desk.toolbox.session() as session:
        started = session.exec(
            select(m.AuditEvent.exception_id)
            .where(m.AuditEvent.kind == "exception.classified")
            .order_by(m.AuditEvent.id)
        ).all()
    assert started.index(taken[0].exception_id) < started.index(taken[1].exception_id), "same subject in order"
    decision = queued_desk.await_decision(duplicate.duplicate_of, 1)
    assert decision is not None and decision.exception_id == taken[0].exception_id


@pytest.mark.slow
@pytest.mark.parametrize("backend", POSTGRES_ONLY)
def test_a_decision_that_keeps_failing_ends_failed_and_audited(queued_desk, monkeypatch):
    def broken(*_args, **_kwargs):
        raise RuntimeError("the solver crashed")

    monkeypatch.setattr(queued_desk.graph, "invoke", broken)
    taken = queued_desk.take_in(ExceptionIn.model_validate(LATE), "test", None)
    drain(queued_desk, timeout_s=90)
    [job] = [job for job in jobs(queued_desk) if job["task_name"] == "decide"]
    assert (job["status"], job["attempts"]) == ("failed", queued_desk.settings.decide_max_attempts)
    with queued_desk.toolbox.session() as session:
        record = session.get(m.ExceptionRecord, taken.exception_id)
        failed = session.exec(select(m.AuditEvent).where(m.AuditEvent.kind == "exception.failed")).all()
    assert (record.intake, record.failure) == ("failed", "RuntimeError: the solver crashed")
    assert [event.exception_id for event in failed] == [taken.exception_id]
    assert queued_desk.sweep()["requeued"] == 0, "a failed exception waits for a person, not for another loop"


def test_subject_locks_and_periods():
    assert subject_lock({"sku": "SKU-0001", "location": "DC-HOU"}) == "SKU-0001@DC-HOU"
    assert subject_lock({"asset_id": "TRK-007"}) == "TRK-007"
    assert subject_lock({"location": "DC-HOU"}) is None
    assert every_seconds_cron(20, "X") == "* * * * * */20"
    assert every_seconds_cron(900, "X") == "*/15 * * * * 0"
    assert every_seconds_cron(7200, "X") == "0 */2 * * * 0"
    with pytest.raises(QueueMisconfigured, match="YM_DETECT_INTERVAL_S=70"):
        every_seconds_cron(70, "YM_DETECT_INTERVAL_S")


def test_queue_mode_needs_postgresql(tmp_path, monkeypatch):
    with pytest.raises(QueueMisconfigured, match="needs a PostgreSQL YM_DATABASE_URL"):
        TaskQueue(Settings(data_dir=tmp_path, queue="procrastinate"))
    monkeypatch.setenv("YM_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("YM_QUEUE", "procrastinate")
    result = CliRunner().invoke(cli, ["worker"])
    assert result.exit_code == 2 and "needs a PostgreSQL YM_DATABASE_URL" in result.output
    monkeypatch.delenv("YM_QUEUE")
    result = CliRunner().invoke(cli, ["worker"])
    assert result.exit_code == 2 and "YM_QUEUE is not set" in result.output


def run_periodic(desk: Desk) -> None:
    """Run a worker on the periodic queue until none of its jobs waits (the decisions they queue stay queued)."""

    async def once() -> None:
        async with desk.queue.app.open_async():
            await desk.queue.app.run_worker_async(queues=[PERIODIC_QUEUE], wait=False)

    asyncio.run(once())


@pytest.mark.parametrize("backend", POSTGRES_ONLY)
def test_a_detector_pass_is_queued_in_parts_that_workers_share_once(queued_desk):
    expected = sorted(e.external_id for e in detectors.detect(queued_desk.toolbox))
    with queued_desk.toolbox.session() as session:
        parts = detectors.parts(session)
    assert detector_pass(queued_desk) == len(parts)
    assert detector_pass(queued_desk) == 0, "a part whose job still waits is not queued twice"
    run_periodic(queued_desk)
    with queued_desk.toolbox.session() as session:
        raised = sorted(session.exec(select(m.ExceptionRecord.external_id)).all())
    assert raised == expected
    queued = [job for job in jobs(queued_desk) if job["task_name"] == "decide"]
    assert len(queued) == len(expected) and {job["status"] for job in queued} == {"todo"}
    assert detector_pass(queued_desk) == len(parts)  # the next period: every part again, raising nothing new
    run_periodic(queued_desk)
    assert len([job for job in jobs(queued_desk) if job["task_name"] == "decide"]) == len(expected)
    done = [job for job in jobs(queued_desk) if job["task_name"] == "detect_part"]
    assert len(done) == 2 * len(parts) and {job["status"] for job in done} == {"succeeded"}


def test_a_workers_connections_are_split_from_its_budget():
    sizes = worker_connections(Settings(), 1)
    assert (sizes.queue, sizes.checkpointer, sizes.twin) == (1, 1, 2)  # with the listener, 5 in all
    sizes = worker_connections(Settings(worker_db_connections=12), 2)
    assert (sizes.queue, sizes.checkpointer, sizes.twin) == (2, 2, 7)
    with pytest.raises(QueueMisconfigured, match="YM_WORKER_DB_CONNECTIONS=8: a worker running 3 jobs at once needs"):
        worker_connections(Settings(worker_db_connections=8), 3)


@pytest.mark.parametrize("backend", POSTGRES_ONLY)
def test_a_worker_back_from_an_outage_runs_again_at_once_the_jobs_it_left_running(queued_desk):
    for body in (LATE, STOCK):
        queued_desk.take_in(ExceptionIn.model_validate(body), "test", None)
    manager = queued_desk.queue.app.job_manager

    async def lose_one_then_release_it() -> int:
        async with queued_desk.queue.app.open_async():
            lost, live = await manager.register_worker(), await manager.register_worker()
            for worker_id in (lost, live):
                assert await manager.fetch_job(queues=[DECISIONS_QUEUE], worker_id=worker_id) is not None
            return await release_lost(queued_desk.queue.app, lost)

    assert asyncio.run(lose_one_then_release_it()) == 1, "a fresh heartbeat, yet the lost worker's job runs again"
    assert [(job["lock"], job["status"], job["attempts"]) for job in jobs(queued_desk)] == [
        ("SHP-000010", "todo", 1),
        ("SKU-0042@DC-DAL", "doing", 0),
    ]
