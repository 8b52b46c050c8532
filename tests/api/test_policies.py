"""Tests of reading and editing autonomy policies through the HTTP API."""

import pytest

from tests.api.desk_api import DeskApi, detail_locs
from twin.actions import ACTION_TYPES


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
    site = api.call("PUT", "/v1/policies/book_carrier", role="architect", json={"autonomy_level": 4, "cohort": "DC-ATL"})
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
