"""Tests of the maintenance schedule against orderings worked out by hand."""

import ortools
import pytest

from tools.scheduling import ScheduleProblem, TruckAtRisk, Workshop, schedule_maintenance


def _truck(name: str, prob: float, **extra) -> TruckAtRisk:
    return TruckAtRisk(truck=name, dc="DC-DAL", failure_prob=prob, service_hours=extra.pop("hours", 4), **extra)


def _problem(trucks: list[TruckAtRisk], bays: int = 1, hours: float = 16, horizon: int = 5) -> ScheduleProblem:
    return ScheduleProblem(
        trucks=trucks, workshops=[Workshop(dc="DC-DAL", bays=bays, technician_hours=hours)], horizon_days=horizon
    )


def _days(schedule) -> dict[str, int | None]:
    return {slot.truck: slot.day for slot in schedule.slots}


def test_one_bay_serves_the_riskiest_truck_first():
    schedule = schedule_maintenance(_problem([_truck("TRK-001", 0.1), _truck("TRK-002", 0.3), _truck("TRK-003", 0.2)]))
    assert _days(schedule) == {"TRK-002": 0, "TRK-003": 1, "TRK-001": 2}
    # TRK-003 waits one day at 0.2 and TRK-001 two days at 0.1: 0.4 expected failures at 5,000 USD.
    assert schedule.expected_failures == pytest.approx(0.4) and schedule.objective_usd == pytest.approx(2000)
    slot = next(s for s in schedule.slots if s.truck == "TRK-001")
    assert slot.bay == 1 and slot.risk_avoided == pytest.approx(0.3)
    assert slot.held_back_by == ["bays DC-DAL day 0", "bays DC-DAL day 1"]
    assert [b.name for b in schedule.binding] == ["bays DC-DAL day 0", "bays DC-DAL day 1"]
    assert schedule.evidence.source.model == "ortools-cp-sat"
    assert schedule.evidence.source.version == ortools.__version__


def test_hazard_growth_puts_the_fast_degrading_truck_ahead():
    # Days 1-2: FAST then STEADY waits 0.1 + 2 x 0.15 = 0.4; STEADY then FAST waits 0.15 + (0.1 + 0.2) = 0.45.
    fast = _truck("TRK-FAST", 0.1, hazard_growth=1.0)
    assert fast.hazard(2) == pytest.approx(0.4) and fast.exposure(3) == pytest.approx(0.7)
    schedule = schedule_maintenance(_problem([fast, _truck("TRK-STEADY", 0.15), _truck("TRK-WORST", 0.5)]))
    assert _days(schedule) == {"TRK-FAST": 1, "TRK-STEADY": 2, "TRK-WORST": 0}


def test_a_busy_day_is_avoided_when_waiting_costs_less():
    # Waiting a day costs 0.01 x 5,000 = 50 USD; missing 5 deliveries costs 750 USD.
    schedule = schedule_maintenance(_problem([_truck("TRK-001", 0.01, deliveries=[5, 0])], bays=2))
    assert schedule.slots[0].day == 1 and schedule.slots[0].service_impact == 0
    assert schedule.slots[0].held_back_by == [] and schedule.deliveries_lost == 0


def test_bays_held_by_work_orders_already_booked_are_not_booked_again():
    held = Workshop(dc="DC-DAL", bays=2, technician_hours=16, held_bays=[2, 1])
    problem = ScheduleProblem(trucks=[_truck("TRK-001", 0.3), _truck("TRK-002", 0.2)], workshops=[held], horizon_days=3)
    schedule = schedule_maintenance(problem)
    assert _days(schedule) == {"TRK-001": 1, "TRK-002": 2}
    assert schedule.slots[0].held_back_by == ["bays DC-DAL day 0"]


def test_technician_hours_bind_before_bays():
    schedule = schedule_maintenance(
        _problem([_truck("TRK-001", 0.2, hours=6), _truck("TRK-002", 0.1, hours=6)], bays=2, hours=8)
    )
    assert _days(schedule) == {"TRK-001": 0, "TRK-002": 1}
    assert schedule.slots[1].held_back_by == ["technician hours DC-DAL day 0"]


def test_trucks_beyond_capacity_are_left_out_at_the_penalty():
    schedule = schedule_maintenance(_problem([_truck("TRK-001", 0.2), _truck("TRK-002", 0.1)], horizon=1))
    assert schedule.unscheduled == ["TRK-002"]
    assert schedule.slots[1].bay is None and schedule.slots[1].risk_avoided == 0
    assert schedule.objective_usd == pytest.approx(100_000 + 0.1 * 5_000)


def test_a_truck_without_a_workshop_is_refused():
    with pytest.raises(ValueError, match="no workshop for DC-HOU"):
        ScheduleProblem(
            trucks=[TruckAtRisk(truck="T", dc="DC-HOU", failure_prob=0.1, service_hours=2)],
            workshops=[],
            horizon_days=3,
        )


def test_schedule_is_deterministic():
    trucks = [
        TruckAtRisk(
            truck=f"TRK-{i:03d}",
            dc=("DC-DAL", "DC-HOU")[i % 2],
            failure_prob=0.02 * (i % 5 + 1),
            hazard_growth=0.05 * (i % 3),
            service_hours=2 + i % 4,
            deliveries=[i % 3, 2, 0, 1, 3],
        )
        for i in range(12)
    ]
    problem = ScheduleProblem(
        trucks=trucks,
        horizon_days=5,
        workshops=[Workshop(dc=dc, bays=2, technician_hours=8) for dc in ("DC-DAL", "DC-HOU")],
    )
    assert schedule_maintenance(problem).model_dump() == schedule_maintenance(problem).model_dump()
