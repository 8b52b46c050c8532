"""What-ifs: a carrier's capacity cut and a DC's closure, played on copies."""

from sqlmodel import select

from agents.capacity import capacity_shortfall
from agents.whatif import read_situation
from tools.geo import haversine_miles
from twin import models as m
from twin import store


def test_what_if_numbers_come_from_the_solver_and_leave_the_twin_unchanged(desk, tools_for, carrier_rows):
    before = carrier_rows()
    result = tools_for("viewer")["what_if_capacity"].invoke({"carrier": "Red River", "capacity_cut_pct": 50})
    situation = read_situation(desk.toolbox, "CAR-REDRIVER")
    assignment, original_cost, loads = capacity_shortfall(
        "CAR-REDRIVER", situation.own, situation.offers, situation.lanes, situation.week, situation.capacity, 50.0
    )
    assert result["loads_displaced"] == len(loads) > 0
    assert result["before"]["freight_cost_usd"] == round(original_cost, 2)
    assert result["after"] == {
        "freight_cost_usd": assignment.freight_cost_usd,
        "expected_late_loads": assignment.expected_late_loads,
        "unassigned_loads": len(assignment.unassigned),
    }
    assert sum(result["reassigned"].values()) == len(loads) - len(assignment.unassigned)
    assert result["evidence"][1]["source"]["model"] == "ortools-cp-sat"
    assert carrier_rows() == before
    assert (
        tools_for("viewer")["what_if_capacity"].invoke({"carrier": "CAR-NOBODY", "capacity_cut_pct": 20})
        == "CAR-NOBODY is not in the twin"
    )


def test_a_closure_re_sources_orders_to_the_nearest_dc_with_stock_and_changes_nothing(desk, tools_for, carrier_rows):
    before = carrier_rows()
    result = tools_for("viewer")["what_if_closure"].invoke({"location": "DC-HOU", "days": 2})
    with desk.toolbox.session() as session:
        dcs = {dc.code: dc for dc in store.dcs(session)}
        orders = session.exec(select(m.Order).where(m.Order.dc == "DC-HOU", m.Order.status == "open")).all()
    moved = sum(r["orders"] for r in result["re_sourced"])
    assert moved + result["orders_waiting"] == result["orders_affected"] <= len(orders)
    hou = dcs["DC-HOU"]
    nearest = min(
        (c for c in dcs if c != "DC-HOU"), key=lambda c: haversine_miles(hou.lat, hou.lon, dcs[c].lat, dcs[c].lon)
    )
    assert not result["re_sourced"] or result["re_sourced"][0]["dc"] == nearest
    assert carrier_rows() == before
    assert tools_for("viewer")["what_if_closure"].invoke({"location": "DC-HOU", "days": 90}) == (
        "a closure lasts 1 to 28 days, not 90"
    )
