"""The twin browser: searches match any case, details carry their parts and the decisions naming them."""

from sqlalchemy import func, select

from tests.api.desk_api import DeskApi
from twin import models as m
from twin.db import make_engine, session_scope


def _count(url: str, *where) -> int:
    """Shipments matching the conditions, counted straight in the database."""
    engine = make_engine(url)
    with session_scope(engine) as session:
        total = session.execute(select(func.count()).select_from(m.Shipment).where(*where)).scalar_one()
    engine.dispose()
    return total


def test_search_matches_codes_in_any_case_and_filters_by_status(api: DeskApi, seeded_url):
    page = api.call("GET", "/v1/twin/shipments", role="viewer", params={"q": "shp-00926", "limit": 500}).json()
    assert page["total"] == _count(seeded_url, m.Shipment.id.like("SHP-00926%")) > 0
    assert all(item["id"].startswith("SHP-00926") for item in page["items"])
    in_transit = api.call("GET", "/v1/twin/shipments", params={"status": "in_transit", "limit": 1}).json()
    assert in_transit["total"] == _count(seeded_url, m.Shipment.status == "in_transit")
    by_lane = api.call("GET", "/v1/twin/shipments", params={"q": "DAL-HOU", "limit": 500}).json()["items"]
    assert by_lane and all("DAL-HOU" in (s["lane"], s["origin"], s["destination"]) for s in by_lane)
    assert api.call("GET", "/v1/twin/trucks", params={"q": "dc-dal"}).json()["total"] == sum(
        t["home_dc"] == "DC-DAL" for t in api.call("GET", "/v1/twin/trucks", params={"limit": 100}).json()["items"]
    )
    assert [s["code"] for s in api.call("GET", "/v1/twin/skus", params={"q": "SKU-0042"}).json()["items"]] == [
        "SKU-0042"
    ]
    assert api.call("GET", "/v1/twin/lanes", params={"limit": 100}).json()["total"] == 25
    assert api.call("GET", "/v1/twin/carriers").json()["total"] == 6
    assert api.call("GET", "/v1/twin/shipments", params={"q": "x" * 65}).status_code == 422


def test_lists_filter_by_status_and_score_each_rows_risk(api: DeskApi, seeded_url):
    moving = api.call("GET", "/v1/twin/shipments", params={"status": "in_transit", "limit": 20}).json()
    assert {s["status"] for s in moving["items"]} == {"in_transit"}
    assert set(moving["risk"]) == {s["id"] for s in moving["items"]}
    assert all(0 <= p <= 1 for p in moving["risk"].values())
    delivered = api.call("GET", "/v1/twin/shipments", params={"status": "delivered", "limit": 5}).json()
    assert delivered["items"] and delivered["risk"] == {}  # a delivered shipment has no late risk left
    trucks = api.call("GET", "/v1/twin/trucks", params={"status": "active", "limit": 100}).json()
    assert trucks["items"] and {t["status"] for t in trucks["items"]} == {"active"}
    assert set(trucks["risk"]) == {t["code"] for t in trucks["items"]} and trucks["risk"]["TRK-007"] >= 0.60
    for path in ("/v1/twin/shipments", "/v1/twin/trucks"):
        refused = api.call("GET", path, params={"status": "lost"})
        assert refused.status_code == 422 and refused.json()["detail"][0]["loc"] == ["query", "status"]


def test_details_hold_their_parts_and_the_decisions_naming_them(api: DeskApi):
    decision = api.pending_decision()
    carrier = api.call("GET", "/v1/twin/carriers/CAR-REDRIVER", role="viewer").json()
    assert carrier["carrier"]["code"] == "CAR-REDRIVER" and carrier["offers"]
    assert all(offer["carrier"] == "CAR-REDRIVER" for offer in carrier["offers"])
    assert [d["decision_id"] for d in carrier["decisions"]] == [decision["decision_id"]]
    assert carrier["decisions"][0]["status"] == "pending_approval"
    sku = api.call("GET", "/v1/twin/skus/SKU-0042").json()
    assert sorted(p["location"] for p in sku["positions"]) == ["DC-ATL", "DC-CHI", "DC-DAL", "DC-HOU", "DC-LAX"]
    assert sku["decisions"] == []
    shipment = api.call("GET", "/v1/twin/shipments/SHP-009284").json()
    times = [scan["at"] for scan in shipment["scans"]]
    assert times == sorted(times) and all(scan["shipment_id"] == "SHP-009284" for scan in shipment["scans"])
    truck = api.call("GET", "/v1/twin/trucks/TRK-007").json()
    assert 0 < len(truck["telemetry"]) <= 30
    assert truck["telemetry"][0]["at"] > truck["telemetry"][-1]["at"]
    lane = api.call("GET", "/v1/twin/lanes/DAL-HOU").json()
    assert {offer["lane"] for offer in lane["offers"]} == {"DAL-HOU"}


def test_unknown_codes_are_404s_naming_the_code(api: DeskApi):
    for kind, code in (
        ("shipments", "SHP-999999"),
        ("trucks", "TRK-999"),
        ("skus", "SKU-9999"),
        ("lanes", "XXX-YYY"),
        ("carriers", "CAR-NOPE"),
    ):
        answer = api.call("GET", f"/v1/twin/{kind}/{code}")
        assert answer.status_code == 404 and code in answer.json()["detail"]
    assert api.call("GET", "/v1/twin/skus", role=None).status_code == 401
