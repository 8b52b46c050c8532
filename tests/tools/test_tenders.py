"""The tender plan: capacities kept, the gold floor kept, the optimum of an independent enumeration, never worse than
the cheapest or the most punctual carrier per lane, each tier's loads priced at that tier's on-time probability, and
the trade-off moving the plan the way its weights say."""

import itertools

import numpy as np
import pytest

from tools.tenders import LaneDemand, TenderOffer, TenderProblem, TradeOff, plan_tenders, rule_shares

CARRIERS = ("CAR-A", "CAR-B", "CAR-C")


def random_problem(
    seed: int, lanes: int = 4, weights: TradeOff | None = None, capacity: tuple[int, int] = (2, 6)
) -> TenderProblem:
    """Lanes with two or three carriers of random rates, on-time rates (the lane's and each tier's) and capacities."""
    rng = np.random.default_rng(seed)
    demand, offers = [], []
    for k in range(lanes):
        lane = f"L{k}"
        for tier in ("gold", "standard"):
            demand.append(
                LaneDemand(
                    lane=lane,
                    tier=tier,
                    loads=round(float(rng.uniform(0.2, 3.0)), 1),
                    miles=float(rng.uniform(100, 1500)),
                    late_penalty_usd=1500.0 if tier == "gold" else 300.0,
                )
            )
        for carrier in rng.choice(CARRIERS, size=int(rng.integers(2, 4)), replace=False):
            on_time = float(rng.uniform(0.6, 0.97))
            offers.append(
                TenderOffer(
                    carrier=str(carrier),
                    lane=lane,
                    rate_per_mile=float(rng.uniform(1.7, 2.7)),
                    on_time_prob=on_time,
                    on_time_by_tier={"gold": on_time * float(rng.uniform(0.6, 1.0))} if rng.random() < 0.5 else {},
                    co2_kg_per_mile=float(rng.uniform(1.2, 1.8)),
                    lane_loads=int(rng.integers(*capacity)),
                )
            )
    return TenderProblem(
        demand=demand,
        offers=offers,
        carrier_loads={carrier: int(rng.integers(2 * capacity[0], 2 * capacity[1])) for carrier in CARRIERS},
        weights=weights or TradeOff(),
        co2_usd_per_kg=0.1,
    )


@pytest.mark.parametrize("seed", range(8))
def test_a_plan_keeps_every_capacity_and_the_gold_floor(seed):
    problem = random_problem(seed)
    plan = plan_tenders(problem)
    used: dict[str, float] = {}
    for allocation in plan.allocations:
        used[allocation.carrier] = used.get(allocation.carrier, 0.0) + allocation.loads
        offer = next(o for o in problem.offers if (o.carrier, o.lane) == (allocation.carrier, allocation.lane))
        on_lane = sum(a.loads for a in plan.allocations if (a.carrier, a.lane) == (allocation.carrier, allocation.lane))
        assert on_lane <= offer.lane_loads + 1e-9
        punctual = [o for o in problem.offers if o.lane == allocation.lane and o.on_time_prob >= 0.85]
        if allocation.tier == "gold" and punctual:
            assert offer.on_time_prob >= 0.85
    assert all(loads <= problem.carrier_loads[c] + 1e-9 for c, loads in used.items())
    placed = sum(a.loads for a in plan.allocations) + plan.unplaced_loads
    assert placed == pytest.approx(sum(d.loads for d in problem.demand))


@pytest.mark.parametrize("seed", range(8))
def test_a_plan_is_never_worse_than_the_usual_draw_when_the_draw_fits(seed):
    plan = plan_tenders(random_problem(seed))
    usual = plan.alternatives[0]
    if usual.feasible:
        assert plan.totals.objective_usd <= usual.objective_usd + 0.01


def test_a_plan_is_never_worse_than_the_cheapest_nor_the_most_punctual_carrier_when_they_fit():
    compared = 0
    for seed in range(12):
        problem = random_problem(seed, capacity=(2, 6) if seed % 2 else (12, 20))
        plan = plan_tenders(problem)
        for rule in plan.alternatives[1:]:
            if rule.feasible:
                compared += 1
                assert plan.totals.objective_usd <= rule.objective_usd + 0.5, (seed, rule.name)
    assert compared >= 6


def test_each_tier_s_loads_are_priced_at_that_tier_s_on_time_probability():
    """Two carriers with the same lane rate: the one that keeps gold promises takes the gold loads."""
    offer = {"lane": "L0", "co2_kg_per_mile": 1.5, "lane_loads": 5, "on_time_prob": 0.85}
    problem = TenderProblem(
        demand=[
            LaneDemand(lane="L0", tier="gold", loads=1, miles=500, late_penalty_usd=1500),
            LaneDemand(lane="L0", tier="standard", loads=1, miles=500, late_penalty_usd=300),
        ],
        offers=[
            TenderOffer(carrier="CAR-A", rate_per_mile=2.0, on_time_by_tier={"gold": 0.5}, **offer),
            TenderOffer(carrier="CAR-B", rate_per_mile=2.2, on_time_by_tier={"gold": 0.8}, **offer),
        ],
        carrier_loads={"CAR-A": 5, "CAR-B": 5},
        co2_usd_per_kg=0.0,
    )
    plan = plan_tenders(problem)
    assert {(a.tier, a.carrier) for a in plan.allocations} == {("gold", "CAR-B"), ("standard", "CAR-A")}
    assert plan.totals.expected_late_loads == pytest.approx(0.2 + 0.15)
    assert plan.totals.late_penalty_usd == pytest.approx(0.2 * 1500 + 0.15 * 300)
    punctual = rule_shares(problem, "punctual")
    assert punctual == {("L0", "gold", "CAR-B"): 1, ("L0", "standard", "CAR-A"): 1}


@pytest.mark.parametrize("seed", range(6))
def test_raising_the_on_time_weight_never_adds_late_loads_nor_saves_freight(seed):
    plans = [plan_tenders(random_problem(seed, weights=TradeOff(on_time=w))).totals for w in (0.0, 1.0, 3.0)]
    lates = [p.expected_late_loads for p in plans]
    freights = [p.freight_usd for p in plans]
    assert lates == sorted(lates, reverse=True)
    assert freights == sorted(freights)


def test_the_plan_is_the_optimum_of_an_enumeration():
    """Whole loads on two lanes, enumerated: the cheapest split within capacity is the plan's objective."""
    problem = TenderProblem(
        demand=[
            LaneDemand(lane="L0", tier="standard", loads=2, miles=500, late_penalty_usd=300),
            LaneDemand(lane="L1", tier="standard", loads=3, miles=800, late_penalty_usd=300),
        ],
        offers=[
            TenderOffer(
                carrier="CAR-A", lane="L0", rate_per_mile=1.8, on_time_prob=0.7, co2_kg_per_mile=1.5, lane_loads=5
            ),
            TenderOffer(
                carrier="CAR-B", lane="L0", rate_per_mile=2.3, on_time_prob=0.95, co2_kg_per_mile=1.2, lane_loads=5
            ),
            TenderOffer(
                carrier="CAR-A", lane="L1", rate_per_mile=1.9, on_time_prob=0.8, co2_kg_per_mile=1.5, lane_loads=5
            ),
            TenderOffer(
                carrier="CAR-B", lane="L1", rate_per_mile=2.1, on_time_prob=0.9, co2_kg_per_mile=1.2, lane_loads=5
            ),
        ],
        carrier_loads={"CAR-A": 3, "CAR-B": 3},
        co2_usd_per_kg=0.1,
    )
    unit = {
        (o.lane, o.carrier): o.rate_per_mile * d.miles + (1 - o.on_time_prob) * d.late_penalty_usd
        for o in problem.offers
        for d in problem.demand
        if d.lane == o.lane
    }
    best = min(
        unit["L0", "CAR-A"] * a0
        + unit["L0", "CAR-B"] * (2 - a0)
        + unit["L1", "CAR-A"] * a1
        + unit["L1", "CAR-B"] * (3 - a1)
        for a0, a1 in itertools.product(range(3), range(4))
        if a0 + a1 <= 3 and (2 - a0) + (3 - a1) <= 3
    )
    assert plan_tenders(problem).totals.objective_usd == pytest.approx(best, abs=0.05)


def test_the_simple_rules_split_every_load():
    problem = random_problem(3)
    for rule in ("random", "cheapest", "punctual"):
        shares = rule_shares(problem, rule)
        for need in problem.demand:
            on_lane = sum(v for (lane, tier, _c), v in shares.items() if (lane, tier) == (need.lane, need.tier))
            assert on_lane == pytest.approx(need.loads)


def test_a_rule_over_a_carrier_s_lane_capacity_is_not_feasible():
    problem = TenderProblem(
        demand=[LaneDemand(lane="L0", tier="standard", loads=3, miles=500, late_penalty_usd=300)],
        offers=[
            TenderOffer(
                carrier="CAR-A", lane="L0", rate_per_mile=1.8, on_time_prob=0.8, co2_kg_per_mile=1.5, lane_loads=2
            ),
            TenderOffer(
                carrier="CAR-B", lane="L0", rate_per_mile=2.3, on_time_prob=0.9, co2_kg_per_mile=1.2, lane_loads=2
            ),
        ],
        carrier_loads={"CAR-A": 9, "CAR-B": 9},
        co2_usd_per_kg=0.1,
    )
    plan = plan_tenders(problem)
    cheapest = plan.alternatives[1]
    assert not cheapest.feasible and cheapest.why_not == "over the day's lane capacity of CAR-A on L0"
    assert plan.alternatives[0].feasible  # the usual draw splits the 3 loads, 1.5 a carrier
    assert {(a.carrier, a.loads) for a in plan.allocations} == {("CAR-A", 2), ("CAR-B", 1)}
