"""The inbox lists waiting decisions only, the one with the nearest deadline first."""

from datetime import UTC, datetime

from agents.schemas import Decision
from api.paging import encode_cursor
from tests.api.desk_api import DeskApi, clone_pending
from twin import models as m
from twin.db import make_engine, session_scope


def test_waiting_decisions_come_by_deadline_then_severity(api: DeskApi, late_pending):
    capacity = api.pending_decision()
    later, sooner = late_pending("SHP-009284"), late_pending("SHP-009227")
    inbox = api.call("GET", "/v1/inbox", role="viewer").json()
    ids = [item["decision_id"] for item in inbox["items"]]
    assert ids == [sooner["decision_id"], later["decision_id"], capacity["decision_id"]]
    assert inbox["total"] == 3
    shipments = {s: api.call("GET", f"/v1/twin/shipments/{s}").json()["shipment"] for s in ("SHP-009227", "SHP-009284")}
    first = inbox["items"][0]
    assert datetime.fromisoformat(first["due_at"]) == datetime.fromisoformat(shipments["SHP-009227"]["promised_at"])
    assert first["due_reason"] == "SHP-009227 promised" and first["action_types"] == ["notify_customer"]
    assert "SHP-009227" in first["justification"]
    assert inbox["items"][2]["due_at"] is None and inbox["as_of"].startswith("2026-11-02T08:00")


def test_a_decided_decision_leaves_the_inbox(api: DeskApi, late_pending):
    decision = late_pending("SHP-009266")
    assert (
        api.call(
            "POST",
            f"/v1/decisions/{decision['decision_id']}/reject",
            role="planner",
            json={"reason": "Already handled by phone"},
        ).status_code
        == 200
    )
    assert api.call("GET", "/v1/inbox").json()["items"] == []
    assert api.call("GET", "/v1/inbox", role=None).status_code == 401


def test_the_inbox_pages_with_a_cursor_and_answers_304_while_unchanged(api: DeskApi, late_pending):
    capacity = api.pending_decision()
    later, sooner = late_pending("SHP-009284"), late_pending("SHP-009227")
    first = api.call("GET", "/v1/inbox", params={"limit": 2})
    assert [item["decision_id"] for item in first.json()["items"]] == [sooner["decision_id"], later["decision_id"]]
    assert first.json()["total"] == 3 and first.json()["next_cursor"]
    rest = api.call("GET", "/v1/inbox", params={"limit": 2, "cursor": first.json()["next_cursor"]}).json()
    assert [item["decision_id"] for item in rest["items"]] == [capacity["decision_id"]]
    assert rest["next_cursor"] is None
    tag = first.headers["etag"]
    revalidate = {**api.headers["viewer"], "If-None-Match": tag}
    again = api.client.get("/v1/inbox", params={"limit": 2}, headers=revalidate)
    assert again.status_code == 304 and again.content == b""
    api.call("POST", f"/v1/decisions/{sooner['decision_id']}/reject", role="planner", json={"reason": "handled"})
    changed = api.client.get("/v1/inbox", params={"limit": 2}, headers=revalidate)
    assert changed.status_code == 200 and changed.json()["total"] == 2
    assert api.call("GET", "/v1/inbox", params={"limit": 201}).status_code == 422
    bad = api.call("GET", "/v1/inbox", params={"cursor": "not-a-cursor"})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["query", "cursor"]
    forged = encode_cursor([{"a": 1}, None, "x", [], 7])  # five values, none of the key's types
    bad = api.call("GET", "/v1/inbox", params={"cursor": forged})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["query", "cursor"]


def test_a_decision_that_changes_while_waiting_is_ordered_anew(api: DeskApi, seeded_url, tmp_path):
    api.pending_decision()
    clone_pending(seeded_url, tmp_path, 3)  # three waiting without a deadline, of one severity and one cost
    first = api.call("GET", "/v1/inbox", role="viewer")
    ids = [item["decision_id"] for item in first.json()["items"]]
    engine = make_engine(seeded_url)
    with session_scope(engine) as session:  # the last one now costs the most: it comes first
        record = session.get(m.DecisionRecord, ids[-1])
        decision = Decision.of(record)
        impact = decision.expected_impact.model_copy(update={"cost_usd": 99_999.0})
        decision.model_copy(update={"expected_impact": impact}).store(record)
        record.updated_at = datetime.now(UTC)
        session.add(record)
    engine.dispose()
    again = api.client.get("/v1/inbox", headers={**api.headers["viewer"], "If-None-Match": first.headers["etag"]})
    assert again.status_code == 200
    assert [item["decision_id"] for item in again.json()["items"]] == [ids[-1], *ids[:-1]]
    assert again.json()["items"][0]["cost_usd"] == 99_999.0


def test_a_verdict_on_a_copied_decision_concludes_that_copy_alone(api: DeskApi, seeded_url, tmp_path):
    original = api.pending_decision()
    clone_pending(seeded_url, tmp_path, 3)
    copy = "DEC-LOAD00000001"
    rejected = api.call("POST", f"/v1/decisions/{copy}/reject", role="planner", json={"reason": "handled"})
    assert rejected.status_code == 200 and rejected.json()["decision_id"] == copy, rejected.text
    assert rejected.json()["status"] == "rejected"
    waiting = {item["decision_id"] for item in api.call("GET", "/v1/inbox", role="viewer").json()["items"]}
    assert waiting == {original["decision_id"], "DEC-LOAD00000000"}
