"""Tests of reading and editing autonomy policies through the HTTP API."""

import pytest
from sqlmodel import Session

from tests.agents.test_policy_learning import plant_rejections
from tests.api.desk_api import DeskApi, detail_locs
from twin.actions import ACTION_TYPES, ExpediteShipment
from twin.db import make_engine


@pytest.fixture
def api(api_client, seeded_url) -> DeskApi:
    """One app on a private seeded database with trained models, and keys of every role."""
    return DeskApi(api_client(None), seeded_url)


def _rule(api: DeskApi, action_type: str, cohort: str = "*") -> dict:
    """The stored rule of an action type in a cohort."""
    [rule] = [
        r
        for r in api.call("GET", "/v1/policies", role="viewer").json()
        if (r["action_type"], r["cohort"]) == (action_type, cohort)
    ]
    return rule


def test_defaults_cover_every_action_type(api):
    rules = api.call("GET", "/v1/policies", role="viewer").json()
    assert {rule["action_type"] for rule in rules} == set(ACTION_TYPES)
    assert _rule(api, "switch_carrier")["autonomy_level"] == 2
    assert _rule(api, "expedite_shipment")["max_cost_usd"] == 1500.0
    assert api.call("GET", "/v1/policies", role=None).status_code == 401


def test_put_records_the_actor_and_an_audit_event(api):
    body = {"autonomy_level": 3, "max_cost_usd": 900, "min_confidence": 0.9, "allowed_tiers": ["gold"]}
    assert api.call("PUT", "/v1/policies/switch_carrier", role=None, json=body).status_code == 401
    for role in ("viewer", "planner", "integrator"):
        assert api.call("PUT", "/v1/policies/switch_carrier", role=role, json=body).status_code == 403
    saved = api.call("PUT", "/v1/policies/switch_carrier", role="architect", json=body)
    assert saved.status_code == 200
    assert saved.json() | body == saved.json() and saved.json()["updated_by"] == "test-architect"
    assert _rule(api, "switch_carrier") == saved.json()
    [event] = api.call("GET", "/v1/audit", params={"kind": "policy_updated"}).json()["items"]
    assert event["actor"] == "test-architect" and event["detail"]["before"]["autonomy_level"] == 2
    assert event["detail"]["after"]["max_cost_usd"] == 900


def test_cohorts_from_query_or_body(api):
    lane = api.call(
        "PUT", "/v1/policies/book_carrier", role="architect", params={"cohort": "DAL-HOU"}, json={"autonomy_level": 1}
    )
    site = api.call(
        "PUT", "/v1/policies/book_carrier", role="architect", json={"autonomy_level": 4, "cohort": "DC-ATL"}
    )
    assert (lane.json()["cohort"], site.json()["cohort"]) == ("DAL-HOU", "DC-ATL")
    assert (
        _rule(api, "book_carrier", "DAL-HOU")["autonomy_level"] == 1
        and _rule(api, "book_carrier")["autonomy_level"] == 3
    )
    assert detail_locs(
        api.call("PUT", "/v1/policies/book_carrier", params={"cohort": "XYZ-ABC"}, json={"autonomy_level": 1})
    ) == [["query", "cohort"]]
    assert detail_locs(
        api.call("PUT", "/v1/policies/book_carrier", json={"autonomy_level": 1, "cohort": "CUST-0001"})
    ) == [["body", "cohort"]]
    assert detail_locs(
        api.call(
            "PUT",
            "/v1/policies/book_carrier",
            params={"cohort": "DC-DAL"},
            json={"autonomy_level": 1, "cohort": "DC-HOU"},
        )
    ) == [["query", "cohort"]]


def test_bad_bodies_and_unknown_action_types(api):
    too_high = api.call("PUT", "/v1/policies/switch_carrier", json={"autonomy_level": 5})
    assert detail_locs(too_high) == [["body", "autonomy_level"]]
    assert detail_locs(
        api.call(
            "PUT",
            "/v1/policies/switch_carrier",
            json={"autonomy_level": 3, "min_confidence": 1.5, "allowed_tiers": ["platinum"]},
        )
    ) == [["body", "min_confidence"], ["body", "allowed_tiers", 0]]
    unknown = api.call("PUT", "/v1/policies/teleport", json={"autonomy_level": 2})
    assert unknown.status_code == 404 and "teleport" in unknown.json()["detail"]
    assert "switch_carrier" in unknown.json()["detail"]


def test_levels_and_cohort_patterns_are_stored_and_each_change_audited(api):
    shadow = api.call(
        "PUT", "/v1/policies/expedite_shipment", role="architect", json={"level": "shadow", "cohort": "DAL-*"}
    )
    assert shadow.status_code == 200, shadow.text
    assert (shadow.json()["cohort"], shadow.json()["level"], shadow.json()["autonomy_level"]) == ("DAL-*", "shadow", 3)
    off = api.call(
        "PUT", "/v1/policies/expedite_shipment", role="architect", params={"cohort": "CAR-*"}, json={"level": "off"}
    )
    assert off.json()["level"] == "off"
    again = api.call(
        "PUT", "/v1/policies/expedite_shipment", role="architect", json={"level": "recommend", "cohort": "DAL-*"}
    )
    assert (again.json()["level"], again.json()["autonomy_level"]) == ("recommend", 2)
    assert _rule(api, "expedite_shipment", "DAL-*")["level"] == "recommend"
    assert _rule(api, "switch_carrier")["level"] == "recommend" and _rule(api, "notify_customer")["level"] == "act"
    events = api.call("GET", "/v1/audit", params={"kind": "policy_updated"}).json()["items"]
    assert [(e["detail"]["cohort"], e["detail"]["after"]["level"]) for e in events] == [
        ("DAL-*", "shadow"),
        ("CAR-*", "off"),
        ("DAL-*", "recommend"),
    ]
    assert events[0]["detail"]["before"] is None and events[2]["detail"]["before"]["level"] == "shadow"
    assert all(e["actor"] == "test-architect" for e in events)


def test_an_unknown_level_or_a_bad_cohort_is_refused_by_name(api):
    put = lambda body, **kw: api.call("PUT", "/v1/policies/expedite_shipment", role="architect", json=body, **kw)  # noqa: E731
    assert detail_locs(put({"level": "sometimes"})) == [["body", "level"]]
    assert detail_locs(put({"level": "act", "autonomy_level": 2})) == [["body", "level"]]
    assert detail_locs(put({"level": "act", "cohort": "dal-*"})) == [["body", "cohort"]]
    assert detail_locs(put({"level": "act"}, params={"cohort": "DAL HOU"})) == [["query", "cohort"]]
    assert detail_locs(put({"level": "act", "cohort": "ZZZ-*"})) == [["body", "cohort"]]  # matches nothing in the twin
    assert detail_locs(put({})) == [["body", "autonomy_level"], ["body", "level"]]
    assert api.call("GET", "/v1/audit", params={"kind": "policy_updated"}).json()["items"] == []


def test_suggestions_are_listed_and_architects_accept_or_decline_them(api, seeded_url):
    assert api.call("GET", "/v1/policies/suggestions", role="viewer").json() == []
    engine = make_engine(seeded_url)
    with Session(engine) as session:
        plant_rejections(session, ExpediteShipment(params={"shipment_id": "SHP-000023", "cost_usd": 150.0}), 6, 1)
        session.commit()
    engine.dispose()
    [suggestion] = api.call("GET", "/v1/policies/suggestions", role="viewer").json()
    assert (suggestion["action_type"], suggestion["cohort"], suggestion["change"]) == (
        "expedite_shipment",
        "DAL-HOU",
        "stop_proposing",
    )
    assert (suggestion["evidence"]["reviewed"], suggestion["evidence"]["rejected"]) == (7, 6)
    url = f"/v1/policies/suggestions/{suggestion['id']}"
    assert api.call("POST", f"{url}/accept", role="planner").status_code == 403
    assert api.call("POST", f"{url}/maybe", role="architect").status_code == 422
    assert api.call("POST", "/v1/policies/suggestions/SUG-0/accept", role="architect").status_code == 404
    accepted = api.call("POST", f"{url}/accept", role="architect")
    assert accepted.status_code == 200 and accepted.json()["id"] == suggestion["id"]
    assert _rule(api, "expedite_shipment", "DAL-HOU")["level"] == "off"
    assert api.call("POST", f"{url}/decline", role="architect").status_code == 404  # answered once
    assert api.call("GET", "/v1/policies/suggestions", role="viewer").json() == []
    kinds = [e["kind"] for e in api.call("GET", "/v1/audit").json()["items"] if e["actor"] == "test-architect"]
    assert kinds == ["policy_updated", "policy_suggestion.accepted"]
