"""Tests of the maintenance specialist: the drifting TRK-007, a healthy truck, unknown trucks, the service queue."""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import update
from sqlmodel import Session, col, select

from agents import maintenance
from agents.proposal import PlanOption, Proposal, pct
from agents.schemas import Refs
from agents.toolbox import open_toolbox
from agents.verify import verify_claim
from tests.conftest import copy_trained
from tests.twin.test_fleet import executed, hot_reading
from tools.costs import Rates
from tools.evidence import Evidence, Source
from tools.maintenance import MODEL_NAME, FailureRisk, score_trucks
from tools.scheduling import ScheduleProblem, TruckAtRisk, Workshop, schedule_maintenance
from twin import frames, store
from twin import models as m
from twin.actions import ReplanRoute, ScheduleMaintenance
from twin.db import make_engine
from twin.kpis import aware
from twin.seed import AS_OF
from twin.settings import Settings

TODAY = date(2026, 11, 2)


def _unverified(proposal: Proposal) -> list[str]:
    """The proposal's sentences that the verifier rejects against its own evidence."""
    by_id = {record.id: record for record in proposal.evidence}
    claims = [*proposal.findings, proposal.chosen]
    return [claim.text for claim in claims if not verify_claim(claim, by_id).ok]


def test_the_drifting_truck_is_serviced_today_and_routing_replans_its_stops(toolbox):
    proposal = maintenance.equipment_failure_risk(toolbox, Refs(asset_id="TRK-007"))
    assert proposal.status == "proposed" and proposal.specialist == "maintenance"
    visits = [item for item in proposal.actions if isinstance(item, ScheduleMaintenance)]
    assert visits[0].params.as_dict() | {"service_hours": None, "cost_usd": None} == {
        "truck": "TRK-007",
        "dc": "DC-DAL",
        "day": 0,
        "date": "2026-11-02",
        "kind": "preventive",
        "service": "removal",
        "service_hours": None,
        "safety_critical": True,
        "cost_usd": None,
    }
    booked_today = {item.params.truck for item in visits if item.params.day == 0}
    [replan] = [a for a in proposal.actions if a.type in ("replan_route", "tender_stops")]
    [helper] = proposal.helpers  # routing's re-plan is part of the compared plan, not a later hop
    assert helper.specialist == "routing" and replan in helper.actions
    assert helper.findings[0].text.startswith("Truck TRK-007 goes to the workshop today.")
    if isinstance(replan, ReplanRoute):  # no truck in the workshop today drives a route today
        assert booked_today <= set(replan.params.removed_trucks or [])
        assert not booked_today & {route.truck for route in replan.params.routes}
    assert all(a.params.cost_usd > 0 for a in visits)
    assert proposal.expected_impact.cost_usd == round(sum(a.params.cost_usd for a in proposal.actions), 2)
    sources = {record.source.model: record for record in proposal.evidence}
    assert sources[MODEL_NAME].source.version and sources["ortools-cp-sat"].source.version
    schedule = sources["ortools-cp-sat"]
    assert "TRK-007" in {truck["truck"] for truck in schedule.inputs["trucks"]}
    assert {truck["dc"] for truck in schedule.inputs["trucks"]} == {"DC-DAL"}
    assert [a.name for a in proposal.alternatives] == ["defer to next preventive service"]
    assert all(a.why_not for a in proposal.alternatives)
    text = " ".join(claim.text for claim in proposal.findings)
    assert "P(fail)" in text and "RUL" in text and "Top drivers" in text and "into bay" in text
    assert _unverified(proposal) == []


def test_the_same_report_gives_the_same_proposal(toolbox):
    first = maintenance.equipment_failure_risk(toolbox, Refs(asset_id="TRK-007"))
    assert maintenance.equipment_failure_risk(toolbox, Refs(asset_id="TRK-007")).model_dump() == first.model_dump()


def test_a_healthy_truck_needs_no_action(toolbox):
    healthiest = maintenance.fleet_priority(toolbox, k=40)[-1]
    assert healthiest.p_fail < maintenance.HEALTHY_BELOW
    proposal = maintenance.equipment_failure_risk(toolbox, Refs(asset_id=healthiest.truck))
    assert proposal.status == "no_action" and proposal.actions == [] and proposal.helpers == []
    text = " ".join(claim.text for claim in proposal.findings)
    assert f"P(fail) {pct(healthiest.p_fail)}" in text and "RUL" in text and "Top drivers" in text
    [service] = proposal.alternatives
    assert service.name == "service today" and "below 0.3" in service.why_not
    assert _unverified(proposal) == []


def test_a_truck_with_a_scheduled_work_order_is_not_booked_twice(toolbox):
    with toolbox.session() as session:
        session.add(
            m.WorkOrder(
                id="WO-90001",
                truck="TRK-007",
                kind="preventive",
                bay_dc="DC-DAL",
                opened_at=datetime(2026, 11, 2, 8, tzinfo=UTC),
                scheduled_for=datetime(2026, 11, 3, 8, tzinfo=UTC),
                status="scheduled",
            )
        )
        session.commit()
    proposal = maintenance.equipment_failure_risk(toolbox, Refs(asset_id="TRK-007"))
    assert proposal.status == "no_action" and proposal.actions == [] and proposal.helpers == []
    assert proposal.chosen.text == (
        "Truck TRK-007 already has work order WO-90001 scheduled for 2026-11-03: it is not booked twice."
    )
    assert _unverified(proposal) == []


def test_a_truck_serviced_since_its_latest_reading_is_not_scored_again_on_that_reading(toolbox):
    serviced = AS_OF - timedelta(hours=2)
    with toolbox.session() as session:
        latest = max(
            r.at for r in session.exec(select(m.TelemetryReading).where(m.TelemetryReading.truck == "TRK-007"))
        )
        assert aware(latest) < serviced
        session.exec(update(m.Vehicle).where(col(m.Vehicle.code) == "TRK-007").values(last_service_at=serviced))
        session.commit()
    proposal = maintenance.equipment_failure_risk(toolbox, Refs(asset_id="TRK-007"))
    assert proposal.status == "no_action" and proposal.actions == []
    assert proposal.chosen.text == "Truck TRK-007 has no reading since its last service (2026-11-02 06:00) to score."
    assert "TRK-007" not in {risk.truck for risk in maintenance.fleet_risks(toolbox)[0]}


def test_a_truck_with_an_open_work_order_is_not_booked_alongside_another(toolbox):
    first = maintenance.equipment_failure_risk(toolbox, Refs(asset_id="TRK-007"))
    alongside = {
        item.params.truck
        for item in first.actions
        if isinstance(item, ScheduleMaintenance) and item.params.truck != "TRK-007"
    }
    assert alongside, "the riskiest DC-DAL trucks share today's workshop"
    with toolbox.session() as session:
        for n, truck in enumerate(sorted(alongside)):
            session.add(
                m.WorkOrder(
                    id=f"WO-9100{n}",
                    truck=truck,
                    kind="corrective",
                    bay_dc="DC-DAL",
                    opened_at=datetime(2026, 11, 2, 7, tzinfo=UTC),
                    status="open",
                )
            )
        session.commit()
    again = maintenance.equipment_failure_risk(toolbox, Refs(asset_id="TRK-007"))
    plans = [again.actions, *(alternative.actions for alternative in again.alternatives)]
    booked = {item.params.truck for actions in plans for item in actions if isinstance(item, ScheduleMaintenance)}
    assert booked == {"TRK-007"}


def test_a_booking_must_avoid_more_than_its_cost_plus_the_margin():
    defer = PlanOption(name=maintenance.DEFER, expected_penalty_usd=3045.0)

    def service(cost: float) -> PlanOption:
        """A removal today at `cost`."""
        visit = maintenance.service_action("TRK-033", "DC-LAX", 0, TODAY, 0.85, cost)
        return PlanOption(name="service in the CP-SAT slot", actions=[visit])

    at_break_even = maintenance.worth_booking(service(2960.0), [defer])
    assert not at_break_even.feasible
    assert at_break_even.infeasible_reason == (
        "it avoids 3,045.00 USD of expected breakdown cost for 2,960.00 USD: less than its cost plus the 20% margin"
    )
    worth_it = maintenance.worth_booking(service(2500.0), [defer])
    assert worth_it.feasible and worth_it.impact.model_extra["cost_avoided_usd"] == 3045.0
    assert maintenance.worth_booking(defer, [defer]) is defer


def test_every_booking_states_what_it_avoids_against_its_cost_and_the_margin(toolbox):
    for entry in maintenance.fleet_priority(toolbox, k=6):
        proposal = maintenance.equipment_failure_risk(toolbox, Refs(asset_id=entry.truck))
        plan = next(record for record in proposal.evidence if record.id == proposal.plan_evidence_id)
        assert plan.facts["service_margin"] == maintenance.SERVICE_MARGIN
        assert plan.facts["p_fail_horizon"] < entry.p_fail  # the 14-day probability over the 7 days at risk
        own = [item for item in proposal.actions if isinstance(item, ScheduleMaintenance)]
        if own:
            chosen = plan.facts["options"][plan.facts["chosen"]]
            visits = sum(item.params.cost_usd for item in own)
            assert chosen["cost_avoided_usd"] > (1 + maintenance.SERVICE_MARGIN) * visits
            assert any("more than its cost plus the 20% margin" in claim.text for claim in proposal.findings)
        assert _unverified(proposal) == []


def test_a_reported_safety_symptom_sends_a_low_risk_truck_to_an_inspection(toolbox):
    healthiest = maintenance.fleet_priority(toolbox, k=40)[-1]
    report = "brake warning light on, driver reports grinding"
    proposal = maintenance.equipment_failure_risk(toolbox, Refs(asset_id=healthiest.truck), report)
    assert proposal.status == "proposed"
    visit = next(item for item in proposal.actions if isinstance(item, ScheduleMaintenance))
    assert visit.params.truck == healthiest.truck and visit.params.day == 0
    assert visit.params.service == "inspection" and visit.params.safety_critical is True
    record = next(record for record in proposal.evidence if record.id == f"report:{healthiest.truck}")
    assert record.inputs["description"] == report and record.facts["symptoms"] == ["brakes", "warning light"]
    claim = next(claim for claim in proposal.findings if record.id in claim.evidence_ids)
    assert f"P(fail) {pct(healthiest.p_fail)}" in claim.text and "brakes, warning light" in claim.text
    defer = next(item for item in proposal.alternatives if item.name == maintenance.DEFER)
    assert "the report names brakes, warning light" in defer.why_not
    assert _unverified(proposal) == []


@pytest.mark.parametrize(
    ("description", "symptoms"),
    [
        ("brake warning light on, driver reports grinding", ["brakes", "warning light"]),
        ("Steering pulls left and a tyre looks flat", ["steering", "tyres"]),
        ("smoke from the engine bay, coolant leaking", ["smoke", "fluid leak"]),
        ("driver is tired and the cab radio is broken", []),
        (None, []),
    ],
)
def test_safety_symptoms_are_matched_on_words_of_the_report(description, symptoms):
    assert maintenance.reported_symptoms(description) == symptoms


@pytest.mark.parametrize("refs", [Refs(asset_id="TRK-999"), Refs()])
def test_an_unknown_or_missing_truck_needs_info(toolbox, refs):
    proposal = maintenance.equipment_failure_risk(toolbox, refs)
    assert proposal.status == "needs_info" and proposal.missing == ["asset_id"] and proposal.actions == []
    assert _unverified(proposal) == []


def test_the_service_queue_puts_the_drifting_truck_near_the_top(toolbox):
    queue = maintenance.fleet_priority(toolbox, k=5)
    assert len(queue) == 5 and "TRK-007" in [entry.truck for entry in queue[:3]]
    assert [entry.p_fail for entry in queue] == sorted((entry.p_fail for entry in queue), reverse=True)
    drifting = next(entry for entry in queue if entry.truck == "TRK-007")
    assert drifting.dc == "DC-DAL" and drifting.rul_days < 30 and drifting.drivers
    assert drifting.evidence.source.model == MODEL_NAME and drifting.evidence.facts["p_fail"] == drifting.p_fail


def _scored_on_every_reading(toolbox) -> list[FailureRisk]:
    """The fleet scored independently of the cache, on the whole telemetry history."""
    with toolbox.session() as session:
        return score_trucks(toolbox.models.fleet, frames.telemetry_frame(session), toolbox.now())


def _same_scores(kept: list[FailureRisk], independent: list[FailureRisk]) -> bool:
    """The same trucks in the same order with the same risk, life and drivers (up to float summation order)."""
    assert [risk.truck for risk in kept] == [risk.truck for risk in independent]
    for ours, theirs in zip(kept, independent, strict=True):
        assert ours.p_fail == pytest.approx(theirs.p_fail, abs=2e-4) and ours.rul_days == pytest.approx(
            theirs.rul_days, abs=0.2
        )
        assert [d.feature for d in ours.drivers] == [d.feature for d in theirs.drivers]
        assert ours.evidence.inputs == theirs.evidence.inputs
    return True


def test_fleet_scores_are_kept_until_a_reading_arrives_or_a_truck_is_booked(seeded_url, trained_dir, tmp_path):
    copy_trained(trained_dir, tmp_path)
    toolbox = open_toolbox(Settings(database_url=seeded_url, data_dir=tmp_path))
    other_process = make_engine(seeded_url)  # the writes come from elsewhere: only the database tells this process
    first, _ = maintenance.fleet_risks(toolbox)
    assert maintenance.fleet_risks(toolbox)[0] is first  # kept
    assert _same_scores(first, _scored_on_every_reading(toolbox))
    with Session(other_process) as session:
        session.add(hot_reading("TRK-012"))
        session.commit()
    second, _ = maintenance.fleet_risks(toolbox)
    assert second is not first and _same_scores(second, _scored_on_every_reading(toolbox))
    reading = {risk.truck: risk.evidence.inputs["reading_at"] for risk in second}
    assert reading["TRK-012"] == (AS_OF - timedelta(minutes=5)).isoformat()
    assert maintenance.fleet_risks(toolbox)[0] is second
    with Session(other_process) as session:
        executed(session, 1, "schedule_maintenance", truck="TRK-012", dc="DC-DAL", day=0, kind="preventive")
    third, trucks = maintenance.fleet_risks(toolbox)
    assert third is not second and third == second and trucks["TRK-012"].status == "in_maintenance"
    with Session(other_process) as session:  # a correction in place: the hot reading turns out normal
        session.execute(
            update(m.TelemetryReading)
            .where(m.TelemetryReading.truck == "TRK-012", m.TelemetryReading.at == AS_OF - timedelta(minutes=5))
            .values(engine_temp_c=88.0, oil_pressure_kpa=320.0, vibration_mm_s=4.0, fault_codes=0)
        )
        session.commit()
    fourth, _ = maintenance.fleet_risks(toolbox)
    assert fourth is not third and _same_scores(fourth, _scored_on_every_reading(toolbox))
    other_process.dispose()
    toolbox.engine.dispose()


def test_hazard_is_spread_over_the_horizon_and_grows_to_failure_at_the_rul():
    assert maintenance.daily_hazard(1 - 0.9**14, 14) == pytest.approx(0.1)
    assert maintenance.hazard_growth(0.25, 2.0) == pytest.approx(1.0)  # 0.25 x 2^2 = 1 at day 2
    assert maintenance.hazard_growth(0.5, 4.0) == pytest.approx(2**0.25 - 1)
    assert maintenance.hazard_growth(0.5, 0.5) == 1.0  # capped at +100% a day
    assert maintenance.hazard_growth(1.0, 9.0) == 0.0


@pytest.mark.parametrize(("fleet_size", "critical", "bays"), [(8, 0, 1), (8, 2, 2), (8, 3, 2), (20, 0, 2)])
def test_the_workshop_keeps_85_percent_of_the_fleet_on_the_road(fleet_size, critical, bays):
    dc = m.Location(
        code="DC-DAL",
        kind="dc",
        name="Dallas DC",
        region="DAL",
        lat=32.8,
        lon=-96.8,
        bays=2,
        technician_hours_per_day=16.0,
    )
    assert maintenance.workshop(dc, fleet_size, critical, [0, 1]) == Workshop(
        dc="DC-DAL", bays=bays, technician_hours=16.0, held_bays=[0, 1]
    )


def test_failure_cost_adds_tow_repair_premium_and_the_deliveries_of_three_days_down():
    workload = maintenance.Workload(today={"TRK-001": 6, "TRK-002": 4}, typical=[5.0, 4.0, 3.0, 9.0])
    assert maintenance.failure_cost(Rates.of([]), workload) == 1000 + 2500 + (5 + 4 + 3) * 150
    assert workload.deliveries("TRK-001") == [6.0, 4.0, 3.0, 9.0]
    assert workload.deliveries("TRK-003") == [0.0, 4.0, 3.0, 9.0]


def test_a_day_without_routes_scales_the_stops_per_truck_of_the_latest_day_of_routes_by_weekday(toolbox):
    monday, sunday = AS_OF + timedelta(days=7), AS_OF + timedelta(days=6)
    with toolbox.session() as session:
        routes = store.routes_on(session, AS_OF.date(), "DC-DAL")
        per_truck = sum(len(stops) for _, stops in routes) / len(routes)
        assert store.latest_route_load(session, "DC-DAL") == (AS_OF.date(), pytest.approx(per_truck))
        assert store.routes_on(session, monday.date(), "DC-DAL") == []
        by_weekday = store.fleet_deliveries_by_weekday(session, "DC-DAL", sunday - timedelta(weeks=26), sunday)
    assert AS_OF.weekday() == monday.weekday() == 0 and sunday.weekday() == 6 and 0 < by_weekday[6] < by_weekday[0]
    assert maintenance.dc_workload(toolbox, "DC-DAL", monday).typical[0] == round(per_truck, 1)
    on_sunday = maintenance.dc_workload(toolbox, "DC-DAL", sunday)
    assert on_sunday.today == {} and on_sunday.typical[0] == round(per_truck * by_weekday[6] / by_weekday[0], 1)


def test_a_truck_held_back_by_a_riskier_one_cannot_be_serviced_today():
    ours = TruckAtRisk(truck="TRK-001", dc="DC-DAL", failure_prob=0.1, service_hours=4)
    riskier = TruckAtRisk(truck="TRK-002", dc="DC-DAL", failure_prob=0.3, service_hours=4)
    problem = ScheduleProblem(
        trucks=[ours, riskier],
        workshops=[Workshop(dc="DC-DAL", bays=1, technician_hours=16)],
        horizon_days=3,
        failure_cost=5000,
        delivery_cost=150,
    )
    risk = FailureRisk(
        truck="TRK-001",
        as_of=datetime(2026, 11, 2, 8, tzinfo=UTC),
        p_fail=0.7,
        rul_days=10,
        horizon_days=14,
        drivers=[],
        evidence=Evidence(id="failure-risk:TRK-001", source=Source(tool="t", model="m", version="1")),
    )
    slot, today, defer = maintenance.service_plans(
        problem, schedule_maintenance(problem), risk, TODAY, Rates.of([]), {"TRK-001": 0.7, "TRK-002": 0.5}
    )
    assert slot.name == "service in the CP-SAT slot" and slot.feasible
    visit = slot.actions[0]
    assert isinstance(visit, ScheduleMaintenance)
    assert visit.params.day == 1 and visit.params.date == date(2026, 11, 3)
    assert [item.params.truck for item in slot.actions if isinstance(item, ScheduleMaintenance)] == [
        "TRK-001",
        "TRK-002",
    ]  # the riskier truck takes today's bay
    assert slot.expected_penalty_usd == pytest.approx(500.0)  # one day waiting at 0.1 x 5,000 USD
    assert not visit.params.safety_critical and visit.params.service_hours == 6.0
    assert slot.actions[0].params.cost_usd == 6 * 145 + 900  # a work order: labour and parts at the default rates
    assert today.name == "service today" and not today.feasible and "full today" in today.infeasible_reason
    within = (1 - 0.9**3) + (1 - 0.7**3)  # each truck's chance to fail within the 3 days at its daily hazard
    assert defer.expected_penalty_usd == pytest.approx(within * 5000)  # both trucks left on the road
