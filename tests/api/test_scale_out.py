"""Scale-out on loopback: PostgreSQL, a Chroma server, the API and up to four `yardmaster worker` processes (started
and stopped by PID). 300 exceptions of every type, with same-subject duplicates and racing approvals: each exception
is decided once, each action executed once, each detector period passed once; throughput with one worker, then two,
then four, goes to reports/scale-out.json."""

import json
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from itertools import cycle, islice, pairwise

import httpx
import pytest
from sqlalchemy import text
from sqlmodel import select

from bench.servers import Child, chroma_server, free_port
from tests.api.conftest import issue_key
from tests.api.live_server import Server
from tests.conftest import copy_trained
from tests.faults.invariants import assert_decided_once
from twin import models as m
from twin.db import make_engine, session_scope
from twin.settings import PROJECT_ROOT

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.serial]
DETECT_PERIOD_S = 60
PHASE_POSTS = 100
CARRIERS = (["CAR-METRO", "CAR-COASTAL"], ["CAR-PRAIRIE", "CAR-BLUEGRID"], ["CAR-SWIFTLINE", "CAR-REDRIVER"])
WORKERS = (1, 2, 4)  # worker processes in each phase
REPORT = PROJECT_ROOT / "reports" / "scale-out.json"


def exceptions_for(phase: int) -> list[dict]:
    """One phase's posts: every type (and free text) on 35 subjects of its own, the rest duplicates of them."""
    offset = phase * 40
    unique = (
        [{"type": "late_shipment", "refs": {"shipment_id": f"SHP-{9200 + offset + i:06d}"}} for i in range(14)]
        + [
            {"type": kind, "refs": {"sku": f"SKU-{1 + (offset // 2 + i) % 60:04d}", "location": dc}}
            for i, dc in zip(range(6), cycle(["DC-DAL", "DC-HOU", "DC-ATL", "DC-CHI", "DC-LAX"]), strict=False)
            for kind in ("stockout_risk", "demand_spike")
        ]
        + [{"type": "equipment_failure_risk", "refs": {"asset_id": f"TRK-{1 + offset // 4 + i:03d}"}} for i in range(5)]
        + [{"type": "carrier_capacity", "refs": {"carrier": c}} for c in CARRIERS[phase]]
        + [
            {"description": f"Truck TRK-{30 + phase * 4 + i:03d} is running hot and losing oil pressure"}
            for i in range(2)
        ]
    )
    return list(islice(cycle(unique), PHASE_POSTS))


def post_all(server: Server, headers: dict, bodies: list[dict]) -> list[httpx.Response]:
    """Post concurrently (duplicates race with their first report)."""
    with ThreadPoolExecutor(8) as pool:
        return list(pool.map(lambda body: server.client.post("/v1/exceptions", json=body, headers=headers), bodies))


def undecided(url: str) -> int:
    """Exceptions whose decision is not made yet (none may have failed)."""
    engine = make_engine(url)
    with session_scope(engine) as session:
        intakes = Counter(session.exec(select(m.ExceptionRecord.intake)).all())
    engine.dispose()
    assert intakes["failed"] == 0, intakes
    return intakes["received"] + intakes["deciding"]


def wait_decided(url: str, timeout_s: float = 240) -> None:
    """Poll until every exception stored so far is decided."""
    deadline = time.monotonic() + timeout_s
    while undecided(url):
        assert time.monotonic() < deadline, f"{undecided(url)} exceptions still undecided"
        time.sleep(0.25)


def wait_registered(url: str, count: int, timeout_s: float = 120) -> None:
    """Poll until this many queue workers have opened their desk and registered, so that each phase starts with all
    of its workers able to take jobs."""
    deadline = time.monotonic() + timeout_s
    while sql(url, "SELECT count(*) AS n FROM procrastinate_workers")[0]["n"] < count:
        assert time.monotonic() < deadline, f"{count} workers did not register within {timeout_s} s"
        time.sleep(0.25)


def wait_detect_passes(url: str, passes: int = 2) -> None:
    """Poll until the periodic detector has finished this many passes and none is running."""
    deadline = time.monotonic() + (passes + 1) * DETECT_PERIOD_S

    def statuses() -> Counter:
        rows = sql(url, "SELECT status::text AS status FROM procrastinate_jobs WHERE task_name = 'detect'")
        return Counter(row["status"] for row in rows)

    while (found := statuses())["succeeded"] < passes or found["doing"]:
        assert time.monotonic() < deadline, f"detector passes after {(passes + 1) * DETECT_PERIOD_S} s: {found}"
        time.sleep(1)


def race_verdicts(server: Server, headers: dict) -> int:
    """Three verdicts at once on every waiting decision: exactly one applies; how many decisions were raced."""
    pending = server.client.get("/v1/decisions", params={"status": "pending_approval", "limit": 200}, headers=headers)
    ids = [item["decision_id"] for item in pending.json()["items"]]
    for decision_id in ids:
        with ThreadPoolExecutor(3) as pool:
            codes = list(
                pool.map(
                    lambda verdict, d=decision_id: (
                        server.client.post(
                            f"/v1/decisions/{d}/{verdict}", json={"reason": "race"}, headers=headers
                        ).status_code
                    ),
                    ["approve", "approve", "reject"],
                )
            )
        assert sorted(codes) == [200, 409, 409], (decision_id, codes)
    return len(ids)


def first_report(answer: dict) -> str:
    """The exception whose decision answers a post: the earlier one it duplicates, else itself."""
    return answer.get("duplicate_of") or answer.get("id") or answer["exception_id"]


def phase(server: Server, url: str, headers: dict, number: int) -> dict:
    """Post one phase's exceptions and time them until every one is decided."""
    first_job = sql(url, "SELECT COALESCE(MAX(id), 0) AS id FROM procrastinate_jobs")[0]["id"]
    started = time.monotonic()
    answers = post_all(server, headers, exceptions_for(number))
    assert {a.status_code for a in answers} <= {200, 201, 202}, [a.text for a in answers if a.status_code >= 300]
    wait_decided(url)
    seconds = time.monotonic() - started
    [job_time] = sql(
        url,
        "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM f.at - s.at)) AS median "
        "FROM procrastinate_jobs j JOIN procrastinate_events s ON s.job_id = j.id AND s.type = 'started' "
        "JOIN procrastinate_events f ON f.job_id = j.id AND f.type = 'succeeded' "
        f"WHERE j.task_name = 'decide' AND j.id > {first_job}",
    )
    return {
        "posts": len(answers),
        "accepted_202": sum(a.status_code == 202 for a in answers),
        "seconds": round(seconds, 2),
        "posts_decided_per_s": round(len(answers) / seconds, 2),
        "decisions_per_s": round(len({first_report(a.json()) for a in answers}) / seconds, 2),
        "median_decide_job_s": round(float(job_time["median"]), 2),
    }


def sql(url: str, query: str) -> list[dict]:
    """Rows of a query as dicts."""
    engine = make_engine(url)
    with engine.connect() as connection:
        rows = [dict(row._mapping) for row in connection.execute(text(query))]
    engine.dispose()
    return rows


@pytest.mark.parametrize("backend", [pytest.param("postgres", marks=pytest.mark.postgres)])
def test_api_and_one_two_and_four_workers_decide_everything_once(seeded_url, trained_dir, tmp_path):
    copy_trained(trained_dir, tmp_path)
    chroma_port = free_port()
    chroma = chroma_server(tmp_path / "chroma", chroma_port, tmp_path / "chroma.log").start()
    chroma_url = f"http://127.0.0.1:{chroma_port}"
    settings = {
        "YM_QUEUE": "procrastinate",
        "YM_CHROMA_URL": chroma_url,
        "YM_ANSWER_WAIT_S": "1",
        "YM_DETECT_INTERVAL_S": str(DETECT_PERIOD_S),
        "YM_SWEEP_INTERVAL_S": "10",
        "YM_RATE_LIMIT_PER_MINUTE": "100000",
    }
    server = Server(seeded_url, tmp_path, **settings)
    worker_env = {**server.env, "YM_DETECT_INTERVAL_S": str(DETECT_PERIOD_S)}
    worker_command = [sys.executable, "-c", "from cli.main import app; app()", "worker"]
    workers: list[Child] = []
    try:
        server.start()
        headers = {"Authorization": f"Bearer {issue_key(seeded_url, 'admin').key}"}
        for action in ("retender_loads", "book_spot", "transfer_stock"):
            policy = {"autonomy_level": 2}
            assert server.client.put(f"/v1/policies/{action}", json=policy, headers=headers).status_code == 200
        phases, raced = [], 0
        for number, count in enumerate(WORKERS):
            while len(workers) < count:
                log = tmp_path / f"worker-{len(workers) + 1}.log"
                workers.append(Child(worker_command, worker_env, None, log).start())
            wait_registered(seeded_url, count)
            phases.append(phase(server, seeded_url, headers, number))
            raced += race_verdicts(server, headers)
        wait_decided(seeded_url)  # decisions superseded by a verdict are decided again
        wait_detect_passes(seeded_url)
        deciding_workers = sql(
            seeded_url,
            "SELECT DISTINCT worker_id FROM procrastinate_jobs WHERE task_name = 'decide' AND worker_id IS NOT NULL",
        )
    finally:
        for process in workers:
            process.stop(grace_s=30)
        server.kill()
        chroma.stop(grace_s=30)
    logs = "".join(p.log.read_text()[-1500:] for p in workers)
    assert all(p.process.returncode == 0 for p in workers), logs
    assert len(deciding_workers) == max(WORKERS), "every worker took decisions"

    engine = make_engine(seeded_url)
    with session_scope(engine) as session:
        exceptions = session.exec(select(m.ExceptionRecord)).all()
        executed = session.exec(select(m.AuditEvent).where(m.AuditEvent.kind == "action.executed")).all()
        passes = session.exec(select(m.AuditEvent).where(m.AuditEvent.kind == "detector.pass")).all()
    engine.dispose()
    primaries = [e for e in exceptions if e.duplicate_of is None]
    assert len(exceptions) >= len(WORKERS) * PHASE_POSTS and raced > 0
    for exception in primaries:
        assert_decided_once(seeded_url, exception.id)
    by_id = {e.id: e for e in exceptions}
    assert all(by_id[e.duplicate_of].duplicate_of is None for e in exceptions if e.duplicate_of)
    assert all(count == 1 for count in Counter(e.detail["action_id"] for e in executed).values())

    detect_jobs = sql(
        seeded_url,
        "SELECT (args->>'timestamp')::bigint AS period, status::text AS status FROM procrastinate_jobs "
        "WHERE task_name = 'detect' ORDER BY 1",
    )
    periods = [job["period"] for job in detect_jobs]
    assert len(periods) >= 2 and len(set(periods)) == len(periods), periods
    assert periods == list(range(periods[0], periods[-1] + 1, DETECT_PERIOD_S)), "one pass per period, none missed"
    finished = [job["period"] for job in detect_jobs if job["status"] == "succeeded"]
    assert sorted(event.detail["period"] for event in passes) == finished
    assert set(periods) - set(finished) <= {periods[-1]}, "only the last pass may have been cut short by the stop"
    locks = sql(
        seeded_url,
        "SELECT j.lock, s.at AS started, f.at AS ended FROM procrastinate_jobs j "
        "JOIN procrastinate_events s ON s.job_id = j.id AND s.type = 'started' "
        "JOIN procrastinate_events f ON f.job_id = j.id AND f.type IN ('succeeded', 'failed', 'deferred_for_retry') "
        "WHERE j.lock IS NOT NULL ORDER BY j.lock, s.at",
    )
    for earlier, later in pairwise(locks):
        if earlier["lock"] == later["lock"]:
            assert later["started"] >= earlier["ended"], ("work on one subject overlapped", earlier, later)

    one = phases[0]["decisions_per_s"]
    report = {
        "phases": [{"workers": count, **measured} for count, measured in zip(WORKERS, phases, strict=True)],
        "decisions_per_s": {
            str(count): measured["decisions_per_s"] for count, measured in zip(WORKERS, phases, strict=True)
        },
        "speed_up": {
            str(count): round(measured["decisions_per_s"] / one, 2)
            for count, measured in zip(WORKERS, phases, strict=True)
        },
        "racing_verdicts_on": raced,
        "detector_periods": len(periods),
        "exceptions": len(exceptions),
        "note": "2-core machine shared with other work (the API, the workers, PostgreSQL and Chroma on it too): "
        "compare median_decide_job_s to see how much of each added worker's gain the shared cores take back",
    }
    REPORT.parent.mkdir(exist_ok=True)
    REPORT.write_text(json.dumps(report, indent=2) + "\n")
