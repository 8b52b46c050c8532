"""The plans in force: the latest decision of each plan type on or before a day, with its summary and the trade-off
version it cited, paged like every listing; a bad plan type named."""

from tests.api.desk_api import DeskApi, detail_locs


def _plan(api: DeskApi, kind: str, day: str) -> dict:
    """A plan decision of a kind for a day, made through the API."""
    response = api.call("POST", "/v1/exceptions", role="integrator", json={"type": kind, "refs": {"day": day}})
    assert response.status_code == 201, response.text
    return response.json()


def test_the_latest_plan_of_each_type_is_listed_with_its_summary(api: DeskApi):
    assert api.call("GET", "/v1/plans", role="viewer").json()["items"] == []
    gold = {"tier": "gold", "on_time": 3.0, "reason": "gold first"}
    assert api.call("PUT", "/v1/tradeoff", role="architect", json=gold).status_code == 200
    earlier = _plan(api, "tender_plan", "2026-11-02")
    latest = _plan(api, "tender_plan", "2026-11-03")
    ahead = _plan(api, "tender_plan", "2026-11-05")
    week = _plan(api, "maintenance_plan", "2026-11-02")

    page = api.call("GET", "/v1/plans", role="viewer", params={"day": "2026-11-04"}).json()
    assert page["day"] == "2026-11-04" and page["total"] == 2 and page["as_of"]
    by_type = {plan["plan_type"]: plan for plan in page["items"]}
    tenders = by_type["tender_plan"]
    assert (tenders["decision_id"], tenders["day"]) == (latest["decision_id"], "2026-11-03")
    assert tenders["decision_id"] not in (earlier["decision_id"], ahead["decision_id"])
    assert tenders["status"] == latest["status"]
    assert tenders["objective_usd"] == latest["expected_impact"]["expected_total_usd"]
    assert tenders["totals"]["freight_usd"] == latest["expected_impact"]["freight_usd"]
    assert {"tier": "gold", "lane": "*", "version": 1, "on_time": 3.0, "co2": 0.0} in tenders["tradeoff"]
    assert [a["name"] for a in tenders["alternatives"]] == [a["name"] for a in latest["alternatives"]]
    assert tenders["claims"] == [claim["text"] for claim in latest["justification"]["claims"]]
    assert [a["type"] for a in tenders["actions"]] == [a["type"] for a in latest["actions"]]
    assert by_type["maintenance_plan"]["decision_id"] == week["decision_id"]
    assert by_type["maintenance_plan"]["tradeoff"] == []

    first = api.call("GET", "/v1/plans", role="viewer", params={"day": "2026-11-04", "limit": 1}).json()
    second = api.call(
        "GET", "/v1/plans", role="viewer", params={"day": "2026-11-04", "limit": 1, "cursor": first["next_cursor"]}
    ).json()
    assert [p["plan_type"] for p in first["items"] + second["items"]] == sorted(by_type)
    assert second["next_cursor"] is None
    only = api.call("GET", "/v1/plans", role="viewer", params={"day": "2026-11-05", "plan_type": "tender_plan"})
    assert [p["decision_id"] for p in only.json()["items"]] == [ahead["decision_id"]]


def test_a_bad_plan_type_or_day_is_named(api: DeskApi):
    assert detail_locs(api.call("GET", "/v1/plans", role="viewer", params={"plan_type": "late_shipment"})) == [
        ["query", "plan_type"]
    ]
    assert detail_locs(api.call("GET", "/v1/plans", role="viewer", params={"day": "2026-02-30"})) == [["query", "day"]]
    assert api.call("GET", "/v1/plans", role=None).status_code == 401
