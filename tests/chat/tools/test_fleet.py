"""The fleet's service order from the failure model."""

from agents import maintenance
from twin import store


def test_fleet_priority_follows_the_failure_model(desk, tools_for):
    tools = tools_for("viewer")
    ranked = [p.truck for p in maintenance.fleet_priority(desk.toolbox, 40)]
    assert [t["asset_id"] for t in tools["fleet_service_priority"].invoke({"top": 3})["trucks"]] == ranked[:3]
    houston = tools["fleet_service_priority"].invoke({"location": "DC-HOU", "top": 2})["trucks"]
    with desk.toolbox.session() as session:
        home = {truck.code for truck in store.fleet(session, "DC-HOU")}
    assert [t["asset_id"] for t in houston] == [truck for truck in ranked if truck in home][:2]
