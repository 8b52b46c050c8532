"""Workers outlive their database: in queue mode, PostgreSQL restarted twice and then stopped for 20 s under a
steady stream of reports. Every acknowledged exception is decided exactly once within 60 s of the database's
return, both workers are still running, and the periodic sweep runs again by itself. A decision cut off by the
outage is made within seconds of the return, not once its claim's lease has run out."""

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import text

from agents.schemas import ExceptionIn
from graph.desk import Desk, open_desk
from tests.conftest import copy_trained
from tests.faults.invariants import assert_decided_once
from tests.faults.postgres import Cluster
from tests.faults.server import ROOT, Server
from twin import seed as scenario
from twin.db import make_engine, migrate, session_scope
from twin.settings import Settings
from worker.run import run_worker

pytestmark = [pytest.mark.slow, pytest.mark.postgres]  # mostly waiting: beside other tests, as on a busy host
OUTAGE_S = 20
SETTLE_S = 60
CUT_OFF_SETTLE_S = 20  # a run cut off by the outage: the worker's next try, not its claim's 60 s lease
LATE = {"type": "late_shipment", "refs": {"shipment_id": "SHP-000010"}}


def _seeded(cluster: Cluster) -> str:
    """The cluster's database, migrated and holding the seed-7 network."""
    engine = make_engine(cluster.url)
    migrate(engine)
    scenario.load(engine, scenario.generate(7))
    engine.dispose()
    return cluster.url


def _undecided(url: str, ids: list[str]) -> list[str]:
    """The acknowledged exceptions not decided yet."""
    engine = make_engine(url)
    try:
        with session_scope(engine) as session:
            rows = session.execute(
                text("SELECT id FROM exception WHERE intake != 'decided' AND id = ANY(:ids)"), {"ids": ids}
            ).all()
        return [row[0] for row in rows]
    finally:
        engine.dispose()


def _await_workers(url: str, count: int, timeout_s: float = 120) -> None:
    """Wait until `count` workers serve the queue (registered with it), so that the disruption meets them running."""
    engine = make_engine(url)
    deadline = time.monotonic() + timeout_s
    try:
        while True:
            with engine.connect() as connection:
                serving = connection.execute(text("SELECT count(*) FROM procrastinate_workers")).scalar_one()
            if serving >= count:
                return
            assert time.monotonic() < deadline, f"{serving} of {count} workers serve the queue after {timeout_s} s"
            time.sleep(0.5)
    finally:
        engine.dispose()


def _last_sweep(url: str) -> datetime | None:
    """When a periodic sweep job last succeeded."""
    engine = make_engine(url)
    with engine.connect() as connection:
        at = connection.execute(
            text(
                "SELECT max(e.at) FROM procrastinate_events e JOIN procrastinate_jobs j ON j.id = e.job_id "
                "WHERE j.task_name = 'sweep' AND e.type = 'succeeded'"
            )
        ).scalar()
    engine.dispose()
    return at


def test_workers_outlive_database_restarts_and_an_outage(tmp_path, trained_dir):
    cluster = Cluster()
    cluster.start()
    workers: list[subprocess.Popen] = []
    server = None
    try:
        url = _seeded(cluster)
        copy_trained(trained_dir, tmp_path)
        queue = {"YM_QUEUE": "procrastinate", "YM_SWEEP_INTERVAL_S": "2", "YM_DB_POOL_TIMEOUT_S": "2"}
        server = Server(tmp_path, url, **queue).start(YM_ANSWER_WAIT_S="1")
        workers = [
            subprocess.Popen(
                [sys.executable, "-c", "from cli.main import app; app()", "worker"],
                cwd=ROOT,
                env=server.env(),
                stdout=(tmp_path / f"worker-{n}.log").open("ab"),
                stderr=subprocess.STDOUT,
            )
            for n in range(2)
        ]
        _await_workers(url, len(workers))
        integrator = server.key("integrator")
        acknowledged: list[str] = []
        refused: list[int] = []
        posting = threading.Event()
        posting.set()

        def report() -> None:
            """A steady stream of late-shipment reports; only answered ones count as acknowledged."""
            number = 0
            while posting.is_set():
                number += 1
                body = {"type": "late_shipment", "refs": {"shipment_id": f"SHP-{100 + number:06d}"}}
                headers = {**integrator, "Idempotency-Key": f"outage-{number}"}
                try:
                    answer = httpx.post(f"{server.url}/v1/exceptions", json=body, headers=headers, timeout=30)
                except httpx.HTTPError:
                    refused.append(0)
                    continue
                if answer.status_code in (200, 201, 202):
                    payload = answer.json()
                    acknowledged.append(payload.get("exception_id") or payload["id"])
                else:
                    refused.append(answer.status_code)
                time.sleep(1.0)

        poster = threading.Thread(target=report)
        poster.start()
        time.sleep(8)
        for _ in range(2):
            cluster.restart()
            time.sleep(6)
        cluster.stop()
        time.sleep(OUTAGE_S)
        cluster.start()
        returned = time.monotonic()
        returned_at = datetime.now(UTC)
        time.sleep(8)
        posting.clear()
        poster.join()
        while (waiting := _undecided(url, acknowledged)) and time.monotonic() - returned < SETTLE_S:
            time.sleep(1)
        settled_s = time.monotonic() - returned
        assert not waiting, f"{len(waiting)} of {len(acknowledged)} still undecided {settled_s:.0f} s after the return"
        assert len(acknowledged) >= 10 and refused, (len(acknowledged), refused)
        for exception_id in acknowledged:
            assert_decided_once(url, exception_id)
        assert [worker.poll() for worker in workers] == [None, None], "both workers still run"
        deadline = time.monotonic() + 30
        while (swept := _last_sweep(url)) is None or swept < returned_at:
            assert time.monotonic() < deadline, "the periodic sweep did not run again after the database returned"
            time.sleep(1)
    finally:
        if server:
            server.kill()
        for worker in workers:
            worker.terminate()
            worker.wait(timeout=60)
        cluster.remove()


def test_a_decision_cut_off_by_an_outage_is_made_within_seconds_of_the_return(tmp_path, trained_dir, monkeypatch):
    cluster = Cluster()
    cluster.start()
    try:
        url = _seeded(cluster)
        copy_trained(trained_dir, tmp_path)
        settings = Settings(
            database_url=url, data_dir=tmp_path, queue="procrastinate", sweep_interval_s=2, db_pool_timeout_s=2
        )
        with open_desk(settings) as desk:
            exception_id = desk.take_in(ExceptionIn.model_validate(LATE), "test", None).exception_id
        desk.toolbox.engine.dispose()
        running, served = threading.Event(), threading.Event()
        run = Desk._run

        def cut_off(desk: Desk, *args, **kwargs) -> bool:
            """The first run waits while the database stops: it fails and cannot give its claim back."""
            if not running.is_set():
                running.set()
                time.sleep(3)
            return run(desk, *args, **kwargs)

        monkeypatch.setattr(Desk, "_run", cut_off)
        settled: list[float] = []

        def outage() -> None:
            """Stop the database while the run is under way, start it again, and time the decision."""
            if not running.wait(120):
                return
            cluster.stop()
            time.sleep(OUTAGE_S)
            cluster.start()
            returned = time.monotonic()
            while _undecided(url, [exception_id]) and time.monotonic() - returned < SETTLE_S:
                time.sleep(0.5)
            settled.append(time.monotonic() - returned)
            if not served.is_set():
                os.kill(os.getpid(), signal.SIGINT)  # the worker stops gracefully

        control = threading.Thread(target=outage)
        control.start()
        try:
            run_worker(settings, 1)
        finally:
            served.set()
            control.join()
        assert settled and settled[0] < CUT_OFF_SETTLE_S, f"decided {settled} s after the return"
        assert_decided_once(url, exception_id)
    finally:
        cluster.remove()
