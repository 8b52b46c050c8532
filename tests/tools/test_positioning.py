"""Stock positioning: no DC drawn below its safety stock on random networks, a transfer kept only when the lost sales
it avoids beat its cost, stock sent to the DC short of it, reorder points moved only when it pays, and the plan never
worse than no action."""

import random
from datetime import date, timedelta

import pytest

from tools.evidence import Evidence, Source
from tools.forecast import Forecast, ForecastDay
from tools.positioning import Lane, PositioningProblem, Site, plan_positioning

START = date(2026, 11, 2)
LEAD = 3  # days a regular order takes to land
WINDOW = LEAD + 1


def outlook(dc: str, daily: float, spread: float = 0.3) -> Forecast:
    """A flat forecast of `daily` units a day for 14 days, its error growing with the square root of the days."""
    days = [
        ForecastDay(day=START + timedelta(days=k), p10=daily * (1 - spread), p50=daily, p90=daily * (1 + spread))
        for k in range(1, 15)
    ]
    return Forecast(
        series={"sku": "SKU-0001", "location": dc},
        as_of=START,
        horizon_days=14,
        days=days,
        total=ForecastDay(day=days[-1].day, p10=12 * daily, p50=14 * daily, p90=16 * daily),
        lead_time_error=[max(0.5, spread * daily * (k**0.5)) for k in range(1, 15)],
        evidence=Evidence(id=f"forecast:SKU-0001/{dc}", source=Source(tool="forecast", model="m", version="1")),
    )


def site(
    dc: str, on_hand: float, daily: float, safety: float, in_transit: float = 0.0, reorder_point: float = 0.0
) -> Site:
    """One DC's stock of SKU-0001 with a flat forecast, reviewed against `reorder_point` (0: reordered only once
    its stock runs out)."""
    return Site(
        sku="SKU-0001",
        dc=dc,
        on_hand=on_hand,
        in_transit=in_transit,
        safety_stock=safety,
        reorder_point=reorder_point,
        lead_days=LEAD,
        forecast=outlook(dc, daily),
        window_days=WINDOW,
    )


def lanes(dcs: list[str], cost: float, lead: int = 1) -> list[Lane]:
    """Every lane between the DCs at one cost per unit and lead time."""
    return [
        Lane(sku="SKU-0001", origin=o, dest=d, cost_per_unit=cost, lead_days=lead) for o in dcs for d in dcs if o != d
    ]


def two_dcs(cost: float) -> PositioningProblem:
    """DC-DAL has 500 units for 10 a day, DC-HOU 5 units for 30 a day; a lost sale is worth 12 USD."""
    return PositioningProblem(
        sites=[site("DC-DAL", 500, 10, 20), site("DC-HOU", 5, 30, 25)],
        lanes=lanes(["DC-DAL", "DC-HOU"], cost),
        lost_sale_usd={"SKU-0001": 12.0},
    )


def test_stock_goes_from_the_dc_with_spare_to_the_dc_short_of_it_and_every_move_pays():
    plan = plan_positioning(two_dcs(cost=1.0))
    [move] = plan.moves
    assert (move.origin, move.dest) == ("DC-DAL", "DC-HOU")
    assert move.pays and move.avoided_usd > move.cost_usd
    assert move.cost_usd == pytest.approx(move.qty * 1.0)
    idle = plan.alternatives[0]
    assert idle.name == "no action" and not idle.moves
    assert plan.totals.total_usd < idle.total_usd
    assert plan.totals.lost_sales_usd < idle.lost_sales_usd


def test_a_move_that_costs_more_than_the_lost_sales_it_avoids_is_not_made():
    plan = plan_positioning(two_dcs(cost=13.0))  # each unit costs more than the 12 USD a lost sale is worth
    assert plan.moves == [] and plan.totals.transfer_usd == 0
    eager = plan.alternatives[1]
    assert eager.moves and eager.total_usd > plan.totals.total_usd  # covering the shortfall anyway costs more


def test_a_transfer_landing_after_the_window_avoids_nothing():
    problem = two_dcs(cost=0.1)
    problem.lanes = [lane.model_copy(update={"lead_days": WINDOW + 1}) for lane in problem.lanes]
    assert plan_positioning(problem).moves == []


def reviewed(hou_on_hand: float) -> PositioningProblem:
    """DC-HOU sells 30 a day and reorders at 115 (three days of demand and its safety stock of 25); DC-DAL has stock
    to spare; a lane lands in two days, a day before a regular order placed today."""
    return PositioningProblem(
        sites=[
            site("DC-DAL", 500, 10, 20, reorder_point=50),
            site("DC-HOU", hou_on_hand, 30, 25, reorder_point=115),
        ],
        lanes=lanes(["DC-DAL", "DC-HOU"], 1.0, lead=2),
        lost_sale_usd={"SKU-0001": 12.0},
    )


def test_a_dc_its_regular_order_reaches_in_time_gets_no_transfer():
    problem = reviewed(hou_on_hand=100)  # 100 units for 90 until the order it places tonight lands on day 3
    hou = problem.sites[1]
    assert hou.horizon_days == LEAD
    assert hou.forecast_units > hou.on_hand  # the window alone would call it short
    assert plan_positioning(problem).moves == []


def test_lost_sales_count_until_the_first_regular_order_could_land_under_high_demand():
    hou = reviewed(hou_on_hand=100).sites[1]
    stocked = site("DC-HOU", 220, 30, 25, reorder_point=115)  # 105 above its reorder point: 3.5 days at 30
    assert stocked.horizon_days == 2 + LEAD  # at the 90th percentile it reorders at the close of day 2, not of day 3
    far = site("DC-HOU", 5000, 30, 25, reorder_point=115)
    assert far.horizon_days == 14  # no order within the forecast
    assert hou.lost(0.0, [(LEAD, 500.0)]) == hou.lost(0.0, [])  # a landing on the horizon's last day serves after it


def test_a_dc_short_before_any_regular_order_can_land_gets_the_units_it_lacks():
    [move] = plan_positioning(reviewed(hou_on_hand=60)).moves  # 60 units for 90 before a regular order lands
    assert (move.origin, move.dest) == ("DC-DAL", "DC-HOU") and move.pays
    assert move.qty <= 100  # covers the gap until the regular order, not the weeks after it


def test_no_dc_sends_stock_it_needs_for_its_own_forecast_and_safety_stock():
    problem = PositioningProblem(
        sites=[site("DC-DAL", 60, 10, 20), site("DC-HOU", 0, 30, 25)],  # DAL needs 40 + 20 of its 60
        lanes=lanes(["DC-DAL", "DC-HOU"], 0.5),
        lost_sale_usd={"SKU-0001": 50.0},
    )
    assert problem.sites[0].surplus == 0
    assert plan_positioning(problem).moves == []


@pytest.mark.parametrize("seed", range(8))
def test_random_networks_never_draw_a_dc_below_its_safety_stock(seed):
    rng = random.Random(seed)
    dcs = [f"DC-{code}" for code in ("DAL", "HOU", "ATL", "CHI", "LAX")]
    sites = [
        site(
            dc,
            on_hand=rng.choice([0, rng.uniform(0, 80), rng.uniform(100, 600)]),
            daily=rng.uniform(1, 40),
            safety=rng.uniform(0, 60),
            in_transit=rng.choice([0.0, rng.uniform(0, 200)]),
        )
        for dc in dcs
    ]
    problem = PositioningProblem(
        sites=sites,
        lanes=[
            Lane(sku="SKU-0001", origin=o, dest=d, cost_per_unit=rng.uniform(0.1, 15), lead_days=rng.randint(0, 4))
            for o in dcs
            for d in dcs
            if o != d
        ],
        lost_sale_usd={"SKU-0001": rng.uniform(5, 40)},
    )
    plan = plan_positioning(problem)
    sent = {dc: sum(m.qty for m in plan.moves if m.origin == dc) for dc in dcs}
    for one in sites:
        assert sent[one.dc] <= one.surplus + 1e-9
        assert not sent[one.dc] or one.on_hand - sent[one.dc] >= one.safety_stock - 1e-9
    assert all(move.pays for move in plan.moves)
    assert plan.totals.total_usd <= plan.alternatives[0].total_usd + 0.01


def test_a_problem_with_a_lane_to_an_unknown_site_is_refused():
    with pytest.raises(ValueError, match="lanes without both sites"):
        PositioningProblem(
            sites=[site("DC-DAL", 100, 10, 5)],
            lanes=lanes(["DC-DAL", "DC-HOU"], 1.0),
            lost_sale_usd={"SKU-0001": 10.0},
        )


def alone(reorder_point: float, target: float, holding: float = 0.05) -> PositioningProblem:
    """DC-DAL alone: 70 units for 20 a day, reviewed against `reorder_point` while the forecast asks for `target`; a
    unit held over an order cycle costs `holding` USD and a lost sale 12."""
    dal = site("DC-DAL", 70, 20, 10, reorder_point=reorder_point)
    dal = Site.model_validate(
        {**dal.model_dump(), "forecast": dal.forecast, "reorder_target": target, "holding_usd_per_unit": holding}
    )
    return PositioningProblem(sites=[dal], lanes=[], lost_sale_usd={"SKU-0001": 12.0})


def test_a_reorder_point_below_the_forecasts_is_raised_when_the_lost_sales_it_avoids_beat_its_holding():
    plan = plan_positioning(alone(reorder_point=10, target=80))
    [level] = plan.levels
    assert (level.before, level.after) == (10, 80)
    assert level.holding_usd == pytest.approx(70 * 0.05) and level.avoided_usd > level.holding_usd
    idle, _, kept = plan.alternatives
    assert kept.name == "transfers only (reorder points kept)" and not kept.levels
    assert plan.totals.holding_usd == level.holding_usd
    assert plan.totals.total_usd < kept.total_usd == idle.total_usd
    assert plan.totals.expected_lost_units < idle.expected_lost_units


def test_a_raise_whose_holding_outweighs_the_lost_sales_it_avoids_is_not_made():
    plan = plan_positioning(alone(reorder_point=10, target=80, holding=100.0))
    assert plan.levels == [] and [way.name for way in plan.alternatives] == [
        "no action",
        "cover every shortfall (transfers that do not pay too)",
    ]  # no "transfers only" twin of the plan when it moves no reorder point


def test_a_raise_is_priced_at_the_whole_units_it_sets():
    [level] = plan_positioning(alone(reorder_point=10, target=80.4)).levels
    assert level.after == 80 and level.holding_usd == pytest.approx(70 * 0.05)


def test_a_reorder_point_within_a_tenth_of_the_forecasts_stays():
    assert plan_positioning(alone(reorder_point=100, target=109)).levels == []


def test_a_reorder_point_above_the_forecasts_comes_down_only_when_no_lost_sale_is_added():
    [cut] = plan_positioning(alone(reorder_point=300, target=250)).levels  # the review orders at once either way
    assert (cut.before, cut.after) == (300, 250) and cut.units_avoided == 0 and cut.holding_usd < 0
    assert plan_positioning(alone(reorder_point=60, target=10)).levels == []  # a late review would lose sales
