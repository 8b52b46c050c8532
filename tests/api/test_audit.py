"""Tests of the audit trail through the HTTP API."""

from datetime import datetime, timedelta, timezone

import pytest

from tests.api.desk_api import DeskApi, detail_locs


@pytest.fixture
def api(api_client, seeded_url) -> DeskApi:
    """One app on a private seeded database with trained models, and keys of every role."""
    return DeskApi(api_client(None), seeded_url)


def test_trail_of_a_decision_by_actor_and_time(api):
    pending = api.pending_decision()
    decision_id = pending["decision_id"]
    assert api.call("POST", f"/v1/decisions/{decision_id}/approve", role="planner").status_code == 200
    trail = api.call("GET", "/v1/audit", role="viewer", params={"decision_id": decision_id}).json()
    kinds = [event["kind"] for event in trail["items"]]
    assert kinds[0] == "policy.evaluated" and kinds[-1] == "decision.final" and "action.executed" in kinds
    assert trail["total"] == len(kinds) and {e["decision_id"] for e in trail["items"]} == {decision_id}
    times = [event["at"] for event in trail["items"]]
    assert times == sorted(times)
    by_planner = api.call("GET", "/v1/audit", params={"actor": "test-planner"}).json()["items"]
    assert {e["decision_id"] for e in by_planner} == {decision_id} and "decision.final" in {
        e["kind"] for e in by_planner
    }
    received = api.call(
        "GET", "/v1/audit", params={"exception_id": pending["exception_id"], "kind": "exception.received"}
    ).json()["items"]
    assert [e["actor"] for e in received] == ["test-integrator"]
    final = datetime.fromisoformat(trail["items"][-1]["at"])
    after = api.call("GET", "/v1/audit", params={"decision_id": decision_id, "since": final.isoformat()}).json()
    assert [e["kind"] for e in after["items"]] == ["decision.final"]
    before = api.call("GET", "/v1/audit", params={"decision_id": decision_id, "until": final.isoformat()}).json()
    assert before["total"] == trail["total"] - 1
    shifted = final.astimezone(timezone(timedelta(hours=2))).isoformat()
    assert api.call("GET", "/v1/audit", params={"decision_id": decision_id, "since": shifted}).json()["total"] == 1
    assert len(api.call("GET", "/v1/audit", params={"limit": 2}).json()["items"]) == 2


def test_needs_a_key_and_valid_filters(api):
    assert api.call("GET", "/v1/audit", role=None).status_code == 401
    assert detail_locs(api.call("GET", "/v1/audit", params={"since": "yesterday", "limit": 1000})) == [
        ["query", "since"],
        ["query", "limit"],
    ]
