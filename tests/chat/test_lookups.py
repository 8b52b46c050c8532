"""The lookups read the twin as it is, answer with evidence, and change nothing."""

from datetime import date

import pytest
from langchain_core.tools import ToolException
from sqlmodel import func, select

from agents import policy
from chat import lookups
from chat.answers import answer
from twin import models as m


def _counts(toolbox) -> tuple[int, int, int]:
    """Rows that a what-if must never add: exceptions, actions, transfers."""
    with toolbox.session() as session:
        return tuple(
            session.exec(select(func.count()).select_from(table)).one()
            for table in (m.ExceptionRecord, m.ActionRecord, m.TransferOrder)
        )


def test_stock_per_dc_most_first_and_its_answer(toolbox):
    facts = lookups.stock_levels(toolbox, lookups.StockArgs(sku="SKU-0034"))
    assert len(facts.rows) == 5 and facts.rows[0].on_hand == max(r.on_hand for r in facts.rows)
    assert facts.total_on_hand == sum(r.on_hand for r in facts.rows)
    text = answer("stock_levels", facts, "most")
    assert text.startswith(f"{facts.rows[0].location} holds the most SKU-0034")
    assert "|---|" in text


def test_truck_status_history_and_next_service(toolbox):
    facts = lookups.truck_status(toolbox, lookups.TruckArgs(asset_id="truck 22"))
    assert facts.asset_id == "TRK-022" and facts.recent_work_orders
    text = answer("truck_status", facts, "history")
    assert f"model year {facts.model_year}" in text and "work order" in text
    with pytest.raises(ToolException, match="TRK-999 is not in the twin"):
        lookups.truck_status(toolbox, lookups.TruckArgs(asset_id="TRK-999"))


def test_delivery_performance_counts_late_deliveries_of_a_period(toolbox):
    week = lookups.PerformanceArgs(lane="DAL-HOU", first_day=date(2026, 10, 26), last_day=date(2026, 11, 1))
    facts = lookups.delivery_performance(toolbox, week)
    with toolbox.session() as session:
        shipments = session.exec(select(m.Shipment).where(m.Shipment.lane == "DAL-HOU")).all()
    delivered = [
        s for s in shipments if s.delivered_at and date(2026, 10, 26) <= s.delivered_at.date() <= date(2026, 11, 1)
    ]
    assert facts.delivered == len(delivered)
    assert facts.late == sum(s.delivered_at > s.promised_at for s in delivered)
    ranked = lookups.delivery_performance(toolbox, lookups.PerformanceArgs(group_by="carrier"))
    assert len(ranked.rows) >= 6 and sum(r.delivered for r in ranked.rows) == ranked.delivered


def test_policies_spend_and_what_ifs_change_nothing(toolbox):
    [rule] = lookups.policies(toolbox, lookups.PolicyArgs(action_type="replan_route")).rules
    assert (rule.autonomy_level, rule.needs_approval) == (2, "always"), "no stored rule: the gate's fallback"
    with toolbox.session() as session:
        policy.ensure_defaults(session)
        session.commit()
    [rule] = lookups.policies(toolbox, lookups.PolicyArgs(action_type="replan_route")).rules
    assert (rule.autonomy_level, rule.needs_approval) == (3, "outside its bounds")
    before = _counts(toolbox)
    assert lookups.spend(toolbox, lookups.SpendArgs(action_type="expedite_shipment")).total_usd == 0.0
    surge = lookups.what_if_demand(
        toolbox, lookups.DemandWhatIfArgs(sku="SKU-0042", locations=["DC-DAL"], factor=1.4, days=7)
    )
    [row] = surge.rows
    assert row.changed_demand == pytest.approx(row.demand_p50 * 1.4, abs=0.2)
    stops = lookups.what_if_truck(toolbox, lookups.TruckWhatIfArgs(asset_id="TRK-012"))
    assert stops.stops and all(s.shipment_id.startswith("SHP-") for s in stops.stops)
    more = lookups.what_if_capacity_change(
        toolbox, lookups.CapacityChangeArgs(carrier="CAR-SWIFTLINE", lane="DAL-HOU", factor=2)
    )
    [swiftline] = [c for c in more.carriers if c.carrier == "CAR-SWIFTLINE"]
    assert swiftline.capacity_then >= swiftline.capacity_now and more.solver_status in ("OPTIMAL", "FEASIBLE")
    assert sum(c.loads_then for c in more.carriers) + more.then.unassigned_loads == more.loads
    closed = lookups.what_if_lane_closure(toolbox, lookups.LaneClosureArgs(lane="LAX-HOU", days=2))
    assert closed.lane == "LAX-HOU" and closed.days == 2
    with pytest.raises(ToolException, match="not a lane code"):
        lookups.what_if_lane_closure(toolbox, lookups.LaneClosureArgs(lane="DAL-DAL"))
    assert _counts(toolbox) == before
