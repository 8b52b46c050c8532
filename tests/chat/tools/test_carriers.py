"""Carriers compared as stored."""

from twin import store


def test_carriers_compare_as_stored_on_the_lane(desk, tools_for):
    result = tools_for("viewer")["compare_carriers"].invoke(
        {"carriers": ["Swiftline", "CAR-REDRIVER"], "lane": "DAL-HOU"}
    )
    with desk.toolbox.session() as session:
        stored = {o.carrier: o for o in store.carrier_lanes(session, lane="DAL-HOU")}
    assert {o["carrier"] for o in result["offers"]} == {"CAR-SWIFTLINE", "CAR-REDRIVER"} <= set(stored)
    assert all(o["on_time_rate"] == stored[o["carrier"]].on_time_rate for o in result["offers"])
    assert [o["on_time_rate"] for o in result["offers"]] == sorted(
        (o["on_time_rate"] for o in result["offers"]), reverse=True
    )
