"""The network view's data: places with their twin coordinates, lanes between DCs, routes, and what is at risk."""

from datetime import datetime

from tests.api.desk_api import DeskApi

DCS = {"DC-DAL", "DC-HOU", "DC-ATL", "DC-CHI", "DC-LAX"}


def test_every_dc_and_customer_comes_with_its_coordinates(api: DeskApi):
    network = api.call("GET", "/v1/network", role="viewer").json()
    dcs = {p["code"]: p for p in network["places"] if p["kind"] == "dc"}
    assert set(dcs) == DCS
    assert 32 < dcs["DC-DAL"]["lat"] < 33.5 and -97.5 < dcs["DC-DAL"]["lon"] < -96.3
    assert sum(p["kind"] == "customer" for p in network["places"]) == 200
    assert len(network["lanes"]) == 25 and all(
        {lane["origin"], lane["destination"]} <= DCS for lane in network["lanes"]
    )
    assert all(
        lane["origin"][-3:] == lane["code"][:3] and lane["destination"][-3:] == lane["code"][-3:]
        for lane in network["lanes"]
    )
    assert network["routes"] and all(route["dc"] in DCS and route["stops"] for route in network["routes"])


def test_what_is_at_risk_meets_its_stated_condition(api: DeskApi):
    network = api.call("GET", "/v1/network").json()
    now = datetime.fromisoformat(network["as_of"])
    risks = network["at_risk"]
    shipments = [r for r in risks if r["kind"] == "shipment"]
    overdue, likely = [r for r in shipments if r["score"] is None], [r for r in shipments if r["score"] is not None]
    assert overdue and likely
    for risk in overdue[:5] + likely[:5]:
        shipment = api.call("GET", f"/v1/twin/shipments/{risk['code']}").json()["shipment"]
        assert shipment["status"] != "delivered" and risk["at"] == shipment["destination"]
        if risk["score"] is None:
            assert datetime.fromisoformat(shipment["promised_at"]) < now
        else:
            assert risk["score"] >= 0.70 and shipment["status"] == "in_transit"
    stock = [r for r in risks if r["kind"] == "stock"]
    assert any("cover" in r["reason"] for r in stock)
    for risk in stock:
        position = next(
            p
            for p in api.call("GET", f"/v1/twin/skus/{risk['code']}").json()["positions"]
            if p["location"] == risk["at"]
        )
        if "reorder point" in risk["reason"]:
            assert position["on_hand"] + position["in_transit"] < position["reorder_point"]
    trucks = {r["code"]: r for r in risks if r["kind"] == "truck"}
    assert trucks["TRK-007"]["score"] >= 0.60  # drifting towards a failure, still on the road
    assert all(r["score"] is None or r["score"] >= 0.60 for r in trucks.values())
