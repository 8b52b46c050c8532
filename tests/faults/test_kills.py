"""Named fault scenarios: the server is killed (SIGKILL) at a chosen moment of a submit or of an approval, restarted,
and the exception must be decided once, its actions executed once, its status clear."""

import time

import httpx
import pytest

from tests.api.desk_api import CAPACITY_LOSS
from tests.faults.invariants import assert_decided_once, exception_ids
from tests.faults.server import Server

pytestmark = pytest.mark.slow


def post_exception(server: Server, headers: dict, key: str) -> httpx.Response:
    """Report the capacity loss (its re-tender executes on its own under the default policy)."""
    return httpx.post(
        f"{server.url}/v1/exceptions", json=CAPACITY_LOSS, headers={**headers, "Idempotency-Key": key}, timeout=180
    )


def wait_until(check, timeout_s: float = 30) -> None:
    """Poll until the check holds (the sweep runs every second in these scenarios)."""
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, "the server did not recover in time"
        time.sleep(0.3)


def killed_submit(server: Server, crash_at, database_url: str, point: str, key: str) -> tuple[dict, str]:
    """Post an exception to a server that dies at the fault point, restart it; the key's headers and the
    exception that was stored."""
    crash_at(point)
    integrator = server.key("integrator")
    with pytest.raises(httpx.TransportError):
        post_exception(server, integrator, key)
    assert server.died() == -9
    [exception_id] = exception_ids(database_url)
    server.start()
    return integrator, exception_id


@pytest.mark.parametrize("point", ["intake.stored", "execute.before_commit", "execute.committed"])
def test_kill_during_submit_then_a_retry_gets_the_one_decision(server, crash_at, seeded_url, point):
    integrator, exception_id = killed_submit(server, crash_at, seeded_url, point, "tms-1")
    retry = post_exception(server, integrator, "tms-1")
    assert retry.status_code == 200, retry.text
    assert retry.json()["exception_id"] == exception_id and retry.json()["status"] == "executed"
    assert assert_decided_once(seeded_url, exception_id).status == "executed"
    assert post_exception(server, integrator, "tms-1").json() == retry.json()


def test_kill_during_submit_then_the_sweep_decides_it_without_a_retry(server, crash_at, seeded_url):
    _, exception_id = killed_submit(server, crash_at, seeded_url, "intake.stored", "tms-2")
    viewer = server.key("viewer")

    def read():
        return httpx.get(f"{server.url}/v1/exceptions/{exception_id}", headers=viewer).json()

    wait_until(lambda: read()["intake"] == "decided")
    assert read()["decision_id"] and assert_decided_once(seeded_url, exception_id).status == "executed"


@pytest.mark.parametrize("point", ["verdict.claimed", "execute.before_commit", "execute.committed"])
def test_kill_during_approval_then_the_sweep_finishes_the_verdict_once(server, crash_at, seeded_url, point):
    crash_at(point)
    keys = {role: server.key(role) for role in ("architect", "integrator", "planner", "viewer")}
    assert (
        httpx.put(
            f"{server.url}/v1/policies/retender_loads", json={"autonomy_level": 2}, headers=keys["architect"]
        ).status_code
        == 200
    )
    pending = post_exception(server, keys["integrator"], "tms-3").json()
    assert pending["status"] == "pending_approval"
    approve = f"{server.url}/v1/decisions/{pending['decision_id']}/approve"
    with pytest.raises(httpx.TransportError):
        httpx.post(approve, headers=keys["planner"], json={"reason": "confirmed"}, timeout=180)
    assert server.died() == -9
    server.start()

    def read():
        return httpx.get(f"{server.url}/v1/decisions/{pending['decision_id']}", headers=keys["viewer"]).json()

    assert read()["status"] in ("pending_approval", "executed")  # never an intermediate status
    wait_until(lambda: read()["status"] != "pending_approval")
    assert read()["status"] == "executed"
    again = httpx.post(approve, headers=keys["planner"], timeout=60)
    assert again.status_code == 409 and "executed" in again.json()["detail"]
    assert assert_decided_once(seeded_url, pending["exception_id"]).status == "executed"
