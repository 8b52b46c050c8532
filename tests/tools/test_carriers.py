"""Tests of carrier ranking and load assignment against hand-computed answers."""

import ortools
import pytest

from tools.carriers import AssignmentProblem, CarrierOption, Load, ScoreWeights, assign_loads, rank_carriers


def _option(carrier: str, rate: float, on_time: float, capacity: int, lane: str = "DAL-HOU", **extra) -> CarrierOption:
    return CarrierOption(
        carrier=carrier, lane=lane, rate_per_mile=rate, on_time_prob=on_time, capacity_loads=capacity, **extra
    )


OPTIONS = [
    _option("CAR-SWIFTLINE", 2.0, 0.93, 1),
    _option("CAR-METRO", 2.24, 0.81, 5),
    _option("CAR-PRAIRIE", 1.5, 0.60, 0),
]


def test_ranking_matches_hand_computed_scores():
    ranking = rank_carriers(OPTIONS, miles=100)
    # SWIFTLINE: 0.5 x 1 + 0.4 x 0.93 + 0.1 x 1/5 = 0.892; METRO: 0.5 x 200/224 + 0.4 x 0.81 + 0.1 x 1 = 0.8704
    assert [(c.carrier, c.score) for c in ranking.ranking] == [("CAR-SWIFTLINE", 0.892), ("CAR-METRO", 0.8704)]
    assert ranking.ranking[1].components == {"cost": 0.8929, "on_time": 0.81, "capacity": 1.0}
    assert ranking.chosen == "CAR-SWIFTLINE"
    assert [(r.carrier, r.why) for r in ranking.rejected] == [
        ("CAR-METRO", "12% costlier, on-time 0.81 vs 0.93, score 0.87 vs 0.89"),
        ("CAR-PRAIRIE", "no capacity left"),
    ]
    assert ranking.evidence.facts["chosen"] == "CAR-SWIFTLINE"


def test_weights_change_the_ranking_and_co2_is_scored():
    options = [_option("CAR-A", 2.0, 0.9, 4, co2_kg_per_mile=1.0), _option("CAR-B", 2.0, 0.9, 4, co2_kg_per_mile=0.5)]
    ranking = rank_carriers(options, miles=10, weights=ScoreWeights(cost=1, on_time=0, capacity=0, co2=1))
    assert [(c.carrier, c.score) for c in ranking.ranking] == [("CAR-B", 1.0), ("CAR-A", 0.75)]
    assert "CO2 10 vs 5 kg" in ranking.rejected[0].why
    with pytest.raises(ValueError, match="co2"):
        rank_carriers(OPTIONS, miles=10, weights=ScoreWeights(co2=1))


def test_capacity_forces_the_second_choice_where_it_costs_least():
    # FAST is $0.5/mile cheaper on both lanes but has one truck: it saves $50 on L1 and $400 on L2.
    carriers = [("CAR-FAST", 2.0, 1), ("CAR-SLOW", 2.5, 9)]
    options = [
        _option(carrier, rate, 0.9, capacity, lane=lane)
        for lane in ("DAL-HOU", "DAL-ATL")
        for carrier, rate, capacity in carriers
    ]
    loads = [Load(load_id="L1", lane="DAL-HOU", miles=100), Load(load_id="L2", lane="DAL-ATL", miles=800)]
    result = assign_loads(AssignmentProblem(loads=loads, options=options, late_penalty=500))
    assert {a.load_id: a.carrier for a in result.loads} == {"L1": "CAR-SLOW", "L2": "CAR-FAST"}
    assert result.freight_cost_usd == pytest.approx(250 + 1600)
    assert result.expected_late_loads == pytest.approx(0.2)
    assert result.objective_usd == pytest.approx(1850 + 500 * 0.2)
    assert result.loads[0].rejected[0].why == (
        "20% cheaper, on-time 0.90 vs 0.90; no capacity left (its loads went to L2)"
    )
    assert result.evidence.drivers[0].feature == "capacity CAR-FAST" and result.evidence.drivers[0].contribution == 50
    assert result.evidence.source.model == "ortools-cp-sat" and result.evidence.source.version == ortools.__version__


def test_late_penalty_trades_cost_against_on_time():
    options = [_option("CAR-CHEAP", 2.0, 0.70, 5), _option("CAR-RELIABLE", 2.5, 0.95, 5)]
    loads = [Load(load_id="L1", lane="DAL-HOU", miles=100)]
    # CHEAP: 200 + 1000 x 0.30 = 500; RELIABLE: 250 + 1000 x 0.05 = 300.
    for late_penalty, carrier in [(1000, "CAR-RELIABLE"), (0, "CAR-CHEAP")]:
        problem = AssignmentProblem(loads=loads, options=options, late_penalty=late_penalty)
        assert assign_loads(problem).loads[0].carrier == carrier


def test_loads_beyond_all_capacity_stay_open_at_the_penalty():
    loads = [Load(load_id=f"L{i}", lane="DAL-HOU", miles=100) for i in (1, 2)]
    result = assign_loads(
        AssignmentProblem(loads=loads, options=[OPTIONS[0], OPTIONS[2]], late_penalty=0, unassigned_penalty=5000)
    )
    assert len(result.unassigned) == 1
    assert result.objective_usd == pytest.approx(200 + 5000)
    open_load = next(a for a in result.loads if a.carrier is None)
    taken = next(a.load_id for a in result.loads if a.carrier == "CAR-SWIFTLINE")
    assert [r.why for r in open_load.rejected] == ["no capacity left", f"no capacity left (its loads went to {taken})"]


def test_inconsistent_carrier_capacity_is_refused():
    with pytest.raises(ValueError, match="capacity_loads"):
        AssignmentProblem(loads=[], options=[_option("CAR-A", 2, 0.9, 1), _option("CAR-A", 2, 0.9, 2, lane="X")])


def test_assignment_is_deterministic():
    options = [_option(f"CAR-{i}", 2.0 + i / 10, 0.9 - i / 50, 2) for i in range(4)]
    loads = [Load(load_id=f"L{i}", lane="DAL-HOU", miles=100 + i) for i in range(7)]
    problem = AssignmentProblem(loads=loads, options=options)
    assert assign_loads(problem).model_dump() == assign_loads(problem).model_dump()


def test_a_load_stays_open_when_every_carrier_costs_more_than_the_penalty():
    problem = AssignmentProblem(
        loads=[Load(load_id="L1", lane="DAL-HOU", miles=100)],
        options=[_option("CAR-CHEAP", 2.0, 0.70, 5)],
        late_penalty=0,
        unassigned_penalty=100,
    )
    result = assign_loads(problem)
    assert result.unassigned == ["L1"]
    assert result.loads[0].rejected[0].why == "200.00 USD with lateness vs 100.00 USD to leave the load open"
