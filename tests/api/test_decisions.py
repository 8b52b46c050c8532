"""Tests of listing, reading, approving, rejecting and overriding decisions through the HTTP API."""

import pytest
from sqlmodel import select

from api.app import create_app
from tests.api.desk_api import DeskApi, detail_locs
from twin import models as m
from twin.actions import ACTION_TYPES
from twin.db import make_engine, session_scope
from twin.settings import Settings

SPOT = {"type": "book_spot", "params": {"from_carrier": "CAR-REDRIVER", "loads": 23}}


@pytest.fixture
def api(api_client, seeded_url) -> DeskApi:
    """One app on a private seeded database with trained models, and keys of every role."""
    return DeskApi(api_client(None), seeded_url)


def _rows(url: str, table, decision_id: str) -> list:
    """The rows of a table that belong to a decision."""
    engine = make_engine(url)
    with session_scope(engine) as session:
        rows = session.exec(select(table).where(table.decision_id == decision_id)).all()
    engine.dispose()
    return rows


def _events(url: str, decision_id: str) -> list[str]:
    """The kinds of the webhook events of a decision, sorted: one per executed action and one per status reached."""
    return sorted(message.event_type for message in _rows(url, m.OutboxMessage, decision_id))


def test_approve_executes_once_and_a_second_verdict_is_409(api, seeded_url):
    pending = api.pending_decision()
    decision_id = pending["decision_id"]
    assert pending["policy"]["requires_approval"] and "retender_loads (level 2" in pending["policy"]["reasons"][0]
    waiting = api.call(
        "GET", "/v1/decisions", role="viewer", params={"status": "pending_approval", "specialist": "routing"}
    ).json()
    assert waiting["total"] == 1 and waiting["items"][0]["decision_id"] == decision_id
    assert waiting["items"][0]["actions"][0]["type"] == "retender_loads"
    path = f"/v1/decisions/{decision_id}/approve"
    assert api.call("POST", path, role=None).status_code == 401
    for role in ("viewer", "integrator", "architect"):
        assert api.call("POST", path, role=role).status_code == 403
    approved = api.call("POST", path, role="planner", json={"reason": "Red River confirmed by phone"})
    assert approved.status_code == 200 and approved.json()["status"] == "executed"
    again = api.call("POST", path, role="planner")
    assert again.status_code == 409 and decision_id in again.json()["detail"]
    assert (
        api.call("POST", f"/v1/decisions/{decision_id}/reject", role="planner", json={"reason": "too late"}).status_code
        == 409
    )
    assert [a.status for a in _rows(seeded_url, m.ActionRecord, decision_id)] == ["executed"]
    assert _events(seeded_url, decision_id) == [
        "action.retender_loads",
        "decision.executed",
        "decision.pending_approval",
    ]
    [final] = api.call("GET", "/v1/audit", params={"decision_id": decision_id, "kind": "decision.final"}).json()[
        "items"
    ]
    assert final["detail"]["reason"] == "Red River confirmed by phone" and final["detail"]["status"] == "executed"
    [approval] = _rows(seeded_url, m.Approval, decision_id)
    assert (approval.verdict, approval.actor, approval.reason) == (
        "approve",
        "test-planner",
        "Red River confirmed by phone",
    )
    full = api.call("GET", f"/v1/decisions/{decision_id}", role="viewer").json()
    assert full["status"] == "executed" and full["justification"]["claims"] and full["evidence"]
    assert full["trace_id"] == pending["exception_id"]
    assert api.call("GET", "/v1/decisions", params={"status": "pending_approval"}).json()["total"] == 0


def test_reject_needs_a_reason_and_executes_nothing(api, seeded_url):
    decision_id = api.pending_decision()["decision_id"]
    path = f"/v1/decisions/{decision_id}/reject"
    assert detail_locs(api.call("POST", path, role="planner")) == [["body", "reason"]]
    assert detail_locs(api.call("POST", path, role="planner", json={"reason": "   "})) == [["body", "reason"]]
    rejected = api.call("POST", path, role="planner", json={"reason": "The customer accepts a week's delay"})
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    assert "executed" not in {a.status for a in _rows(seeded_url, m.ActionRecord, decision_id)}
    assert _events(seeded_url, decision_id) == ["decision.pending_approval", "decision.rejected"]
    assert _rows(seeded_url, m.Approval, decision_id)[0].reason == "The customer accepts a week's delay"


def test_override_checks_types_params_and_twin_codes_then_keeps_the_edit(api, seeded_url):
    pending = api.pending_decision()
    path = f"/v1/decisions/{pending['decision_id']}/override"
    reason = "Spot capacity is cheaper this week"
    assert detail_locs(api.call("POST", path, role="planner", json={"actions": [], "reason": reason})) == [
        ["body", "actions"]
    ]
    assert detail_locs(api.call("POST", path, role="planner", json={"actions": [SPOT]})) == [["body", "reason"]]
    unknown_type = api.call(
        "POST", path, role="planner", json={"actions": [{"type": "teleport", "params": {}}], "reason": reason}
    )
    assert (
        detail_locs(unknown_type) == [["body", "actions", 0]]
        and "'teleport'" in unknown_type.json()["detail"][0]["msg"]
    )
    no_loads = {"type": "book_spot", "params": {"from_carrier": "CAR-REDRIVER"}}
    assert detail_locs(api.call("POST", path, role="planner", json={"actions": [no_loads], "reason": reason})) == [
        ["body", "actions", 0, "book_spot", "params", "loads"]
    ]
    ghosts = [
        {"type": "book_spot", "params": {"from_carrier": "CAR-GHOST", "loads": 3}},
        {"type": "tender_stops", "params": {"carrier": "CAR-METRO", "shipments": ["SHP-000010", "SHP-999999"]}},
    ]
    unknown_codes = api.call("POST", path, role="planner", json={"actions": ghosts, "reason": reason})
    assert detail_locs(unknown_codes) == [
        ["body", "actions", 0, "book_spot", "params", "from_carrier"],
        ["body", "actions", 1, "tender_stops", "params", "shipments", 1],
    ]
    assert "CAR-GHOST is not a carrier" in unknown_codes.json()["detail"][0]["msg"]
    assert (
        api.call(
            "POST", "/v1/decisions/DEC-NOPE/override", role="planner", json={"actions": [SPOT], "reason": reason}
        ).status_code
        == 404
    )
    assert api.call("POST", path, role="integrator", json={"actions": [SPOT], "reason": reason}).status_code == 403
    overridden = api.call("POST", path, role="planner", json={"actions": [SPOT], "reason": reason})
    assert overridden.status_code == 200, overridden.text
    priced = overridden.json()["actions"]  # the planner left the spot booking unpriced: the cost model prices it
    spot_usd = priced[0]["params"].pop("cost_usd")
    assert overridden.json()["status"] == "overridden" and priced == [SPOT] and spot_usd > 0
    assert overridden.json()["expected_impact"]["cost_usd"] == spot_usd and overridden.json()["created_at"]
    priced = overridden.json()["actions"]
    assert overridden.json()["justification"]["claims"][0]["text"].endswith(reason)
    [final] = api.call(
        "GET", "/v1/audit", params={"decision_id": pending["decision_id"], "kind": "decision.final"}
    ).json()["items"]
    assert (final["detail"]["verdict"], final["detail"]["reason"]) == ("override", reason)
    assert final["detail"]["actions_before"] == pending["actions"] and final["detail"]["actions_after"] == priced
    [edit] = _rows(seeded_url, m.Override, pending["decision_id"])
    assert edit.new_actions == priced and edit.original_actions == pending["actions"]
    assert (edit.actor, edit.reason) == ("test-planner", reason)
    assert _events(seeded_url, pending["decision_id"]) == [
        "action.book_spot",
        "decision.overridden",
        "decision.pending_approval",
    ]


def test_openapi_documents_each_action_type_of_an_override(tmp_path):
    spec = create_app(Settings(data_dir=tmp_path)).openapi()
    body = spec["components"]["schemas"]["Body_override_decision"]["properties"]
    assert set(body["actions"]["items"]["discriminator"]["mapping"]) == set(ACTION_TYPES)
    assert body["reason"]["examples"] and body["actions"]["examples"]
    answers = spec["paths"]["/v1/decisions/{decision_id}/approve"]["post"]["responses"]
    assert {"200", "404", "409", "422"} <= set(answers)
    assert answers["200"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Decision"}


def test_unknown_decisions_are_404_and_listing_pages(api):
    for method, path in (("GET", "/v1/decisions/DEC-NOPE"), ("POST", "/v1/decisions/DEC-NOPE/approve")):
        response = api.call(method, path)
        assert response.status_code == 404 and "DEC-NOPE" in response.json()["detail"]
    assert detail_locs(api.call("POST", "/v1/decisions/DEC-NOPE/reject")) == [["body", "reason"]]
    made = [
        api.call(
            "POST",
            "/v1/exceptions",
            role="integrator",
            json={"type": "late_shipment", "refs": {"shipment_id": shipment}},
        ).json()
        for shipment in ("SHP-000010", "SHP-000011", "SHP-000012")
    ]
    page = api.call("GET", "/v1/decisions", role="viewer", params={"limit": 2}).json()
    assert page["total"] == 3 and len(page["items"]) == 2
    rest = api.call("GET", "/v1/decisions", role="viewer", params={"limit": 2, "offset": 2}).json()
    listed = {item["decision_id"] for item in page["items"] + rest["items"]}
    assert listed == {decision["decision_id"] for decision in made}
    following = api.call("GET", "/v1/decisions", params={"limit": 2, "cursor": page["next_cursor"]}).json()
    assert [item["decision_id"] for item in following["items"]] == [item["decision_id"] for item in rest["items"]]
    assert following["next_cursor"] is None and rest["next_cursor"] is None
    assert detail_locs(api.call("GET", "/v1/decisions", params={"cursor": "e30="})) == [["query", "cursor"]]
    assert api.call("GET", "/v1/decisions", params={"specialist": "inventory"}).json()["total"] == 0
    assert detail_locs(api.call("GET", "/v1/decisions", params={"status": "maybe"})) == [["query", "status"]]
    assert api.call("GET", "/v1/decisions", role=None).status_code == 401
