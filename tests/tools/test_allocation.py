"""Tests of the inventory allocation program against optima worked out by hand."""

import ortools
import pytest

from tools.allocation import AllocationProblem, DcPosition, TransferLane, allocate


def _lane(origin: str, dest: str, cost: float, **extra) -> TransferLane:
    return TransferLane(origin=origin, dest=dest, cost_per_unit=cost, **extra)


def _problem(positions: list[DcPosition], lanes: list[TransferLane], lost_sale_cost: float = 10.0) -> AllocationProblem:
    return AllocationProblem(positions=positions, lanes=lanes, horizon_days=10, lost_sale_cost=lost_sale_cost)


def _shadow(plan, name: str) -> float:
    return next(price.value for price in plan.shadow_prices if price.constraint == name)


def test_cheapest_surplus_first_with_known_duals():
    # HOU needs 50 + 10 safety = 60; DAL spares 50 - 20 = 30 at $1, ATL spares 80 - 30 = 50 at $3.
    problem = _problem(
        [
            DcPosition(sku="SKU-0001", dc="DC-DAL", on_hand=50, forecast=20),
            DcPosition(sku="SKU-0001", dc="DC-ATL", on_hand=80, forecast=30),
            DcPosition(sku="SKU-0001", dc="DC-HOU", on_hand=0, forecast=50, safety_stock=10),
        ],
        [_lane("DC-DAL", "DC-HOU", 1), _lane("DC-ATL", "DC-HOU", 3)],
    )
    plan = allocate(problem)
    assert [(m.origin, m.dest, m.qty, m.cost) for m in plan.moves] == [
        ("DC-ATL", "DC-HOU", 30, 90),
        ("DC-DAL", "DC-HOU", 30, 30),
    ]
    assert plan.total_cost == pytest.approx(120) and plan.unmet_units == 0
    assert _shadow(plan, "need SKU-0001 at DC-HOU") == pytest.approx(3)
    assert _shadow(plan, "supply SKU-0001 at DC-DAL") == pytest.approx(-2)
    assert "lower the plan cost by 2.00 USD" in plan.shadow_prices[1].meaning
    assert plan.evidence.source.model == "ortools-glop"
    assert plan.evidence.source.version == ortools.__version__
    assert plan.evidence.facts["total_cost_usd"] == pytest.approx(120)


def test_short_supply_leaves_unmet_need_at_the_lost_sale_cost():
    problem = _problem(
        [
            DcPosition(sku="SKU-0002", dc="DC-DAL", on_hand=40, forecast=10),
            DcPosition(sku="SKU-0002", dc="DC-HOU", on_hand=0, forecast=100),
        ],
        [_lane("DC-DAL", "DC-HOU", 1)],
    )
    plan = allocate(problem)
    assert [(m.qty, m.cost) for m in plan.moves] == [(30, 30)]
    assert plan.unmet_units == pytest.approx(70) and plan.unmet_cost == pytest.approx(700)
    assert plan.total_cost == pytest.approx(730)
    assert _shadow(plan, "need SKU-0002 at DC-HOU") == pytest.approx(10)
    assert plan.coverage[0].covered == pytest.approx(30)


def test_lead_time_limits_what_a_transfer_can_cover():
    # HOU sells 10 a day from 20 on hand: a 4-day transfer arrives after 20 units are already lost.
    positions = [
        DcPosition(sku="SKU-0003", dc="DC-DAL", on_hand=500, forecast=0),
        DcPosition(sku="SKU-0003", dc="DC-HOU", on_hand=20, forecast=100),
    ]
    plan = allocate(_problem(positions, [_lane("DC-DAL", "DC-HOU", 1, lead_days=4)]))
    assert plan.moves[0].qty == pytest.approx(60) and plan.unmet_units == pytest.approx(20)
    assert _shadow(plan, "arrival SKU-0003 at DC-HOU after 4 days") == pytest.approx(-9)
    too_late = allocate(_problem(positions, [_lane("DC-DAL", "DC-HOU", 1, lead_days=11)]))
    assert too_late.moves == [] and too_late.unmet_units == pytest.approx(80)


def test_shared_lane_capacity_goes_to_the_costlier_lost_sale():
    positions = [
        DcPosition(sku=sku, dc=dc, on_hand=on_hand, forecast=forecast, lost_sale_cost=cost)
        for sku, cost in [("SKU-A", 10.0), ("SKU-B", 20.0)]
        for dc, on_hand, forecast in [("DC-DAL", 100, 0), ("DC-HOU", 0, 40)]
    ]
    plan = allocate(_problem(positions, [_lane("DC-DAL", "DC-HOU", 1, max_units=50)]))
    assert {m.sku: m.qty for m in plan.moves} == pytest.approx({"SKU-A": 10, "SKU-B": 40})
    assert {c.sku: c.unmet for c in plan.coverage} == pytest.approx({"SKU-A": 30, "SKU-B": 0})
    assert _shadow(plan, "lane DC-DAL->DC-HOU capacity") == pytest.approx(-9)
    assert plan.total_cost == pytest.approx(50 + 300)


def test_in_transit_counts_toward_the_need_but_cannot_be_sent():
    position = DcPosition(sku="S", dc="DC-DAL", on_hand=10, in_transit=50, forecast=20)
    assert position.need == 0 and position.surplus == 10


def test_same_problem_gives_the_same_plan_and_evidence_id():
    problem = _problem(
        [
            DcPosition(sku="SKU-0001", dc=dc, on_hand=on_hand, forecast=30)
            for dc, on_hand in [("DC-DAL", 60), ("DC-ATL", 60), ("DC-HOU", 0), ("DC-CHI", 10)]
        ],
        [_lane(o, d, 2) for o in ("DC-DAL", "DC-ATL") for d in ("DC-HOU", "DC-CHI")],
    )
    assert allocate(problem).model_dump() == allocate(problem).model_dump()


def test_duplicate_positions_are_refused():
    with pytest.raises(ValueError, match="once"):
        _problem([DcPosition(sku="S", dc="DC-DAL", on_hand=1, forecast=1)] * 2, [])
