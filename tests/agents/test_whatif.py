"""What-ifs on a copy of the situation: a capacity change tendered again by the solver, a lane closed for days."""

import datetime as dt

import pytest
from sqlmodel import select

from agents.whatif import CapacitySituation, _held, capacity_change, lane_closure
from tools.costs import Rates
from twin import models as m
from twin import store

LANE = m.Lane(code="DAL-HOU", origin="DC-DAL", dest_region="HOU", distance_miles=270.0)
CHEAP = m.CarrierLane(
    carrier="CAR-CHEAP", lane="DAL-HOU", rate_per_mile=1.5, transit_days=1, capacity_per_week=2, on_time_rate=0.9
)
DEAR = m.CarrierLane(
    carrier="CAR-DEAR", lane="DAL-HOU", rate_per_mile=2.5, transit_days=1, capacity_per_week=10, on_time_rate=0.9
)


def _situation(lane: str | None = "DAL-HOU") -> CapacitySituation:
    """Six usual loads a week on DAL-HOU; the cheap carrier is full at two of them."""
    return CapacitySituation(
        carrier="CAR-CHEAP",
        lane=lane,
        own=[CHEAP],
        offers={"DAL-HOU": [CHEAP, DEAR]},
        lanes={"DAL-HOU": LANE},
        week={("CAR-CHEAP", "DAL-HOU"): 2.0, ("CAR-DEAR", "DAL-HOU"): 4.0, ("CAR-CHEAP", "ATL-CHI"): 17.0},
        capacity={"CAR-CHEAP": 20, "CAR-DEAR": 50},
    )


def test_more_capacity_at_the_cheap_carrier_moves_loads_to_it_and_lowers_the_cost():
    result = capacity_change(_situation(), 2.0, Rates.of([]))
    shares = {c.carrier: (c.capacity_now, c.capacity_then, c.loads_now, c.loads_then) for c in result.carriers}
    assert shares == {"CAR-CHEAP": (2, 3, 2, 3), "CAR-DEAR": (10, 10, 4, 3)}, "its whole capacity bounds the lane"
    assert (result.loads, result.loads_moved, result.change_pct) == (6, 1, 100.0)
    assert result.change.freight_cost_usd == pytest.approx((1.5 - 2.5) * 270.0)
    assert result.now.freight_cost_usd == pytest.approx((2 * 1.5 + 4 * 2.5) * 270.0)
    assert [e.source.model for e in result.evidence[2:]] == ["ortools-cp-sat", "ortools-cp-sat"]


def test_less_capacity_sends_loads_to_the_dearer_carrier_and_no_change_moves_nothing():
    cut = capacity_change(_situation(), 0.5, Rates.of([]))
    assert (cut.loads_moved, cut.change.freight_cost_usd) == (1, pytest.approx(270.0))
    assert cut.late_penalty_usd == 500.0, "late loads are priced at the twin's rate"
    wide = _situation(lane=None)
    wide.capacity["CAR-CHEAP"] = 40
    same = capacity_change(wide, 1.0, Rates.of([]))
    assert (same.loads_moved, same.change.freight_cost_usd) == (0, 0.0)


def test_a_closed_lane_offers_detours_and_waiting_and_changes_nothing(toolbox):
    with toolbox.session() as session:
        before = session.exec(select(m.Shipment)).all()
        offers = {o.lane: o for o in store.carrier_lanes(session) if o.lane in ("DAL-HOU", "HOU-LAX")}
    result = lane_closure(toolbox, "DAL-LAX", dt.date(2026, 11, 2), 3)
    assert (result.first_day, result.last_day, result.direct.lane) == (
        dt.date(2026, 11, 2),
        dt.date(2026, 11, 4),
        "DAL-LAX",
    )
    assert {d.via for d in result.detours} == {"DC-HOU", "DC-ATL", "DC-CHI"}
    extras = [d.extra_cost_usd for d in result.detours]
    assert extras == sorted(extras)
    for detour in result.detours:
        assert [leg.lane[:3] for leg in detour.legs] == ["DAL", detour.via[3:]]
        legs = round(sum(leg.cost_usd for leg in detour.legs), 2)
        assert detour.extra_cost_usd == pytest.approx(legs - result.direct.cost_usd)
    assert offers, "the seeded network offers the legs"
    assert all(h.shipment_id.startswith("SHP-") and h.status != "delivered" for h in result.open_shipments)
    penalties = sum(h.penalty_usd for h in result.open_shipments)
    assert result.wait_total_usd == pytest.approx(penalties + 500.0 * result.usual_loads)
    loads = len(result.open_shipments) + result.usual_loads
    assert result.detour_total_usd == pytest.approx(result.detours[0].extra_cost_usd * loads)
    assert result.best_total_usd <= min(result.wait_total_usd, result.detour_total_usd) + 0.01
    with toolbox.session() as session:
        assert session.exec(select(m.Shipment)).all() == before


def test_a_held_shipment_pays_its_tier_penalty_only_when_the_closure_makes_it_late():
    def shipment(promised: str) -> m.Shipment:
        """A load on DAL-HOU shipped on the twin's Monday morning."""
        return m.Shipment(
            id="SHP-000001",
            origin="DC-DAL",
            destination="CUST-0001",
            lane="DAL-HOU",
            units=10,
            weight_kg=100.0,
            distance_miles=270.0,
            shipped_at=dt.datetime(2026, 11, 2, 8),
            promised_at=dt.datetime.fromisoformat(promised),
            status="planned",
        )

    reopens, rates = dt.date(2026, 11, 5), Rates.of([])
    kept = _held(shipment("2026-11-03T18:00"), "gold", 1, reopens, rates, detour=2000.0)
    assert (kept.days_held, kept.misses_promise, kept.penalty_usd, kept.best) == (3, True, 1500.0, "wait")
    cheaper = _held(shipment("2026-11-03T18:00"), "gold", 1, reopens, rates, detour=900.0)
    assert cheaper.best == "detour"
    late_anyway = _held(shipment("2026-11-02T12:00"), "gold", 1, reopens, rates, detour=900.0)
    assert (late_anyway.misses_promise, late_anyway.penalty_usd, late_anyway.best) == (False, 0.0, "wait")
    slack = _held(shipment("2026-11-09T18:00"), "silver", 1, reopens, rates, detour=900.0)
    assert (slack.misses_promise, slack.penalty_usd) == (False, 0.0)
