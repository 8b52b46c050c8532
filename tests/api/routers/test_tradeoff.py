"""The architect's trade-off: set by architects only, versioned and audited, bad input named, and the next tender
plan citing the version it used while an earlier plan keeps its own."""

from tests.api.desk_api import DeskApi

GOLD = {"tier": "gold", "on_time": 4.0, "reason": "favour on-time over cost for gold customers"}
PLAN = {"type": "tender_plan", "refs": {"day": "2026-11-03"}}


def _plan(api: DeskApi, day: str) -> dict:
    """A tender plan decision for a day, made through the API."""
    response = api.call("POST", "/v1/exceptions", role="integrator", json={**PLAN, "refs": {"day": day}})
    assert response.status_code == 201, response.text
    return response.json()


def test_a_trade_off_is_versioned_audited_and_used_by_later_plans_only(api: DeskApi):
    assert api.call("GET", "/v1/tradeoff", role="viewer").json() == []
    earlier = _plan(api, "2026-11-03")
    face = next(r for r in earlier["evidence"] if r["id"].startswith("tradeoff:"))
    assert face["facts"]["rules"][0]["version"] == 0  # nothing stored: every cost at face value

    assert api.call("PUT", "/v1/tradeoff", role="planner", json=GOLD).status_code == 403
    first = api.call("PUT", "/v1/tradeoff", role="architect", json=GOLD)
    second = api.call("PUT", "/v1/tradeoff", role="architect", json={**GOLD, "on_time": 5.0})
    assert (first.status_code, second.status_code) == (200, 200)
    assert (first.json()["version"], second.json()["version"]) == (1, 2)
    [rule] = api.call("GET", "/v1/tradeoff", role="viewer").json()
    assert (rule["tier"], rule["lane"], rule["on_time"], rule["version"]) == ("gold", "*", 5.0, 2)
    audit = api.call("GET", "/v1/audit", role="admin", params={"kind": "tradeoff_updated"}).json()["items"]
    assert [event["detail"]["after"]["version"] for event in audit] == [1, 2]
    assert audit[1]["detail"]["before"]["on_time"] == 4.0

    later = _plan(api, "2026-11-04")
    cited = next(r for r in later["evidence"] if r["id"].startswith("tradeoff:"))
    assert {"tier": "gold", "lane": "*", "version": 2} in [
        {k: rule[k] for k in ("tier", "lane", "version")} for rule in cited["facts"]["rules"]
    ]
    assert any(
        "gold customers on any lane: late penalties weighted 5, CO2 0 (version 2)" in c["text"]
        for c in later["justification"]["claims"]
    )
    again = api.call("GET", f"/v1/decisions/{earlier['decision_id']}", role="viewer").json()
    assert again["evidence"] == earlier["evidence"]  # a decision already made keeps the trade-off it used


def test_bad_trade_offs_are_refused_naming_the_field(api: DeskApi):
    cases = [
        ({**GOLD, "lane": "DAL-NOWHERE"}, ["body", "lane"]),
        ({**GOLD, "tier": "platinum"}, ["body", "tier"]),
        ({**GOLD, "on_time": 11}, ["body", "on_time"]),
        ({**GOLD, "reason": ""}, ["body", "reason"]),
        ({**GOLD, "weight": 1}, ["body", "weight"]),
    ]
    for body, where in cases:
        response = api.call("PUT", "/v1/tradeoff", role="architect", json=body)
        assert response.status_code == 422, (body, response.text)
        assert response.json()["detail"][0]["loc"] == where, response.text
    assert api.call("GET", "/v1/tradeoff", role="viewer").json() == []
