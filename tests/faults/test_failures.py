"""Failures end, on a real server with Chroma stopped under it.

- knowledge_base_down_in_process: the POST answers a JSON 500 naming the stored exception; the sweep tries it
  again, each failure isolated (a decision overdue on the twin's clock still expires, the failures are counted in
  /metrics), until
  it ends `failed` (audited, announced); with Chroma back the next report on its subject gets a fresh decision and
  a planner's retry decides it.
- knowledge_base_down_under_workers: the same in queue mode with two workers (PostgreSQL).
"""

import subprocess
import sys
import time
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import text
from sqlmodel import select

from tests.api.desk_api import CAPACITY_LOSS
from tests.faults.chroma import ChromaServer
from tests.faults.invariants import assert_decided_once
from tests.faults.server import ROOT
from twin import models as m
from twin import store
from twin.db import make_engine, session_scope

pytestmark = pytest.mark.slow
STOCKOUT = {"type": "stockout_risk", "refs": {"sku": "SKU-0027", "location": "DC-DAL"}}
TRIES = "3"


def until(check, timeout_s: float = 120, what: str = "the condition"):
    """Poll `check` until it returns something truthy; that value."""
    deadline = time.monotonic() + timeout_s
    while not (value := check()):
        assert time.monotonic() < deadline, f"{what} did not happen within {timeout_s} s"
        time.sleep(0.5)
    return value


def live_workers(url: str) -> int:
    """How many queue workers are registered and beating."""
    engine = make_engine(url)
    with engine.connect() as connection:
        count = connection.execute(text("SELECT count(*) FROM procrastinate_workers")).scalar_one()
    engine.dispose()
    return count


def stored(url: str, exception_id: str) -> m.ExceptionRecord:
    """The exception row as stored now."""
    engine = make_engine(url)
    with session_scope(engine) as session:
        record = session.get(m.ExceptionRecord, exception_id)
    engine.dispose()
    return record


def advance_twin_clock(url: str, hours: float) -> None:
    """Move the twin's clock ahead, as the day-by-day simulation does."""
    engine = make_engine(url)
    with session_scope(engine) as session:
        store.set_clock(session, store.clock(session) + timedelta(hours=hours))
    engine.dispose()


def failure_trail(url: str, exception_id: str) -> tuple[list[str], list[str]]:
    """The audit kinds of an exception and the event types announced about it."""
    engine = make_engine(url)
    with session_scope(engine) as session:
        kinds = session.exec(select(m.AuditEvent.kind).where(m.AuditEvent.exception_id == exception_id)).all()
        events = session.exec(
            select(m.OutboxMessage.event_type).where(
                m.OutboxMessage.payload["exception_id"].as_string() == exception_id
            )
        ).all()
    engine.dispose()
    return list(kinds), list(events)


def assert_failed_for_good(url: str, exception_id: str) -> None:
    """The exception ended `failed` with its reason, audited once and announced."""
    record = until(
        lambda: (row := stored(url, exception_id)).intake == "failed" and row, what=f"{exception_id} failing"
    )
    assert record.status == "failed" and record.failure, record
    kinds, events = failure_trail(url, exception_id)
    assert kinds.count("exception.failed") == 1 and "exception.failed" in events


def fresh_decision_then_retry(base: str, url: str, keys: dict, failed_id: str) -> None:
    """With Chroma back, the next report on the subject is decided afresh, and a planner's retry decides the
    failed one."""
    again = httpx.post(f"{base}/v1/exceptions", json=STOCKOUT, headers=keys["integrator"], timeout=120)
    assert again.status_code in (201, 202), again.text
    assert again.json().get("duplicate_of") is None
    fresh = again.json().get("exception_id") or again.json()["id"]
    until(lambda: stored(url, fresh).intake == "decided", what="the fresh decision")
    assert_decided_once(url, fresh)
    retried = httpx.post(f"{base}/v1/exceptions/{failed_id}/retry", headers=keys["planner"], timeout=60)
    assert retried.status_code == 202, retried.text
    until(lambda: stored(url, failed_id).intake == "decided", what="the retried decision")
    assert_decided_once(url, failed_id)
    refused = httpx.post(f"{base}/v1/exceptions/{failed_id}/retry", headers=keys["planner"], timeout=60)
    assert refused.status_code == 409


def test_knowledge_base_down_in_process(server, seeded_url, tmp_path):
    chroma = ChromaServer(tmp_path / "chroma").start()
    server.start(
        YM_CHROMA_URL=chroma.url,
        YM_DECIDE_MAX_ATTEMPTS=TRIES,
        YM_DEFAULT_PENDING_TTL_H="1",
        YM_ANSWER_WAIT_S="60",
    )
    keys = {role: server.key(role) for role in ("architect", "integrator", "planner")}
    try:
        policy = httpx.put(
            f"{server.url}/v1/policies/retender_loads", json={"autonomy_level": 2}, headers=keys["architect"]
        )
        assert policy.status_code == 200
        pending = httpx.post(f"{server.url}/v1/exceptions", json=CAPACITY_LOSS, headers=keys["integrator"], timeout=120)
        assert pending.status_code == 201 and pending.json()["status"] == "pending_approval", pending.text
        chroma.stop()
        answer = httpx.post(f"{server.url}/v1/exceptions", json=STOCKOUT, headers=keys["integrator"], timeout=120)
        assert answer.status_code == 500 and answer.headers["content-type"] == "application/json", answer.text
        failed_id = answer.json()["exception_id"]
        assert answer.headers["Location"] == f"/v1/exceptions/{failed_id}"
        assert_failed_for_good(seeded_url, failed_id)
        decision = httpx.get(f"{server.url}/v1/decisions/{pending.json()['decision_id']}", headers=keys["planner"])
        assert decision.json()["status"] == "pending_approval"  # sweeps ran meanwhile: no wall-clock expiry
        advance_twin_clock(seeded_url, hours=2)
        until(
            lambda: httpx.get(decision.url, headers=keys["planner"]).json()["status"] == "expired",
            what="the expiry",
        )
        metrics = httpx.get(f"{server.url}/metrics").text
        assert 'yardmaster_sweep_items_total{outcome="errors"}' in metrics
        assert 'yardmaster_sweep_items_total{outcome="expired"} 1.0' in metrics
        chroma.start()
        fresh_decision_then_retry(server.url, seeded_url, keys, failed_id)
    finally:
        chroma.stop()


@pytest.mark.parametrize("backend", [pytest.param("postgres", marks=pytest.mark.postgres)])
def test_knowledge_base_down_under_workers(server, seeded_url, tmp_path):
    chroma = ChromaServer(tmp_path / "chroma").start()
    queue = {"YM_QUEUE": "procrastinate", "YM_CHROMA_URL": chroma.url, "YM_DECIDE_MAX_ATTEMPTS": TRIES}
    server.start(**queue, YM_ANSWER_WAIT_S="1")
    env = {**server.env(), **queue, "YM_SWEEP_INTERVAL_S": "2"}
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", "from cli.main import app; app()", "worker"],
            cwd=ROOT,
            env=env,
            stdout=(tmp_path / f"worker-{n}.log").open("ab"),
            stderr=subprocess.STDOUT,
        )
        for n in range(2)
    ]
    keys = {role: server.key(role) for role in ("integrator", "planner")}
    try:
        until(lambda: live_workers(seeded_url) == 2, what="two workers starting")
        chroma.stop()
        answer = httpx.post(f"{server.url}/v1/exceptions", json=STOCKOUT, headers=keys["integrator"], timeout=120)
        assert answer.status_code == 202, answer.text
        failed_id = answer.json()["id"]
        try:
            assert_failed_for_good(seeded_url, failed_id)
        except AssertionError as error:
            logs = "".join((tmp_path / f"worker-{n}.log").read_text()[-3000:] for n in range(2))
            raise AssertionError(f"{error}\n{logs}") from error
        listed = httpx.get(f"{server.url}/v1/exceptions/{failed_id}", headers=keys["planner"]).json()
        assert listed["status"] == "failed" and listed["intake"] == "failed" and listed["failure"]
        chroma.start()
        fresh_decision_then_retry(server.url, seeded_url, keys, failed_id)
        assert all(worker.poll() is None for worker in workers)
    finally:
        for worker in workers:
            worker.terminate()
            worker.wait(timeout=60)
        chroma.stop()
