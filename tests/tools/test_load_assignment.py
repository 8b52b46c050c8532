"""Tests of load assignment to carriers against hand-computed answers."""

import ortools
import pytest

from tests.tools.test_carriers import OPTIONS, option
from tools.load_assignment import AssignmentProblem, Load, assign_loads


def test_capacity_forces_the_second_choice_where_it_costs_least():
    # FAST is $0.5/mile cheaper on both lanes but has one truck: it saves $50 on L1 and $400 on L2.
    carriers = [("CAR-FAST", 2.0, 1), ("CAR-SLOW", 2.5, 9)]
    options = [
        option(carrier, rate, 0.9, capacity, lane=lane)
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
    options = [option("CAR-CHEAP", 2.0, 0.70, 5), option("CAR-RELIABLE", 2.5, 0.95, 5)]
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
        AssignmentProblem(loads=[], options=[option("CAR-A", 2, 0.9, 1), option("CAR-A", 2, 0.9, 2, lane="X")])


def test_assignment_is_deterministic():
    options = [option(f"CAR-{i}", 2.0 + i / 10, 0.9 - i / 50, 2) for i in range(4)]
    loads = [Load(load_id=f"L{i}", lane="DAL-HOU", miles=100 + i) for i in range(7)]
    problem = AssignmentProblem(loads=loads, options=options)
    assert assign_loads(problem).model_dump() == assign_loads(problem).model_dump()


def test_a_load_stays_open_when_every_carrier_costs_more_than_the_penalty():
    problem = AssignmentProblem(
        loads=[Load(load_id="L1", lane="DAL-HOU", miles=100)],
        options=[option("CAR-CHEAP", 2.0, 0.70, 5)],
        late_penalty=0,
        unassigned_penalty=100,
    )
    result = assign_loads(problem)
    assert result.unassigned == ["L1"]
    assert result.loads[0].rejected[0].why == "200.00 USD with lateness vs 100.00 USD to leave the load open"
