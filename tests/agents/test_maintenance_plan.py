"""The maintenance specialist's weekly plan: within every workshop's bays and technician hours per day, never a truck
with an open work order, every booking paying by the margin, every claim backed by its evidence."""

from collections import defaultdict
from datetime import UTC, datetime, timedelta

from agents import maintenance, maintenance_plan
from agents.proposal import Proposal
from agents.verify import verify_claim
from twin import models as m
from twin import store
from twin.actions import ScheduleMaintenance
from twin.seed import AS_OF

WEEK = AS_OF.date()


def _visits(proposal: Proposal) -> list[ScheduleMaintenance]:
    """The workshop visits a plan books."""
    return [action for action in proposal.actions if isinstance(action, ScheduleMaintenance)]


def _within_workshops(toolbox, proposal: Proposal) -> None:
    """Per DC and day, the booked trucks and those work orders already hold fit the DC's bays, and the booked jobs
    its technician hours."""
    by_day: dict[tuple[str, int], list[ScheduleMaintenance]] = defaultdict(list)
    for visit in _visits(proposal):
        by_day[visit.params.dc, visit.params.day].append(visit)
    with toolbox.session() as session:
        shops = {dc.code: dc for dc in store.dcs(session)}
        held = {(dc, day): len(store.workshop_bookings(session, dc, WEEK + timedelta(days=day))) for dc, day in by_day}
    for (dc, day), visits in by_day.items():
        assert len(visits) + held[dc, day] <= shops[dc].bays
        assert sum(visit.params.service_hours for visit in visits) <= shops[dc].technician_hours_per_day


def _grounded(proposal: Proposal) -> None:
    """Every sentence of the plan passes the verifier against the evidence it cites."""
    evidence = {record.id: record for record in proposal.evidence}
    for claim in [*proposal.findings, proposal.chosen]:
        assert verify_claim(claim, evidence).ok, claim.text


def test_the_week_books_the_trucks_worth_it_within_every_workshop(toolbox):
    proposal = maintenance_plan.plan_week(toolbox, WEEK)
    assert proposal.status == "proposed" and proposal.specialist == "maintenance"
    visits = _visits(proposal)
    trucks = [visit.params.truck for visit in visits]
    assert visits and len(trucks) == len(set(trucks))  # no truck booked twice
    assert all(0 <= visit.params.day < maintenance.HORIZON_DAYS and visit.params.cost_usd > 0 for visit in visits)
    _within_workshops(toolbox, proposal)
    [idle] = proposal.alternatives
    assert idle.name == "no action" and not idle.actions
    assert proposal.expected_impact.expected_total_usd <= idle.expected_impact.expected_total_usd
    facts = next(record for record in proposal.evidence if record.id == proposal.plan_evidence_id).facts
    for truck in trucks:  # each booking avoids more than its visit plus the margin
        booked = facts["trucks"][truck]
        assert booked["cost_avoided_usd"] > (1 + maintenance.SERVICE_MARGIN) * booked["visit_usd"]
    assert any(not truck["booked"] for truck in facts["trucks"].values())  # some risk is cheaper left on the road
    _grounded(proposal)


def test_a_truck_with_an_open_work_order_is_left_out(toolbox):
    first = _visits(maintenance_plan.plan_week(toolbox, WEEK))
    held = first[0].params
    with toolbox.session() as session:
        session.add(
            m.WorkOrder(
                id="WO-92001",
                truck=held.truck,
                kind="preventive",
                bay_dc=held.dc,
                opened_at=AS_OF,
                scheduled_for=datetime.combine(WEEK + timedelta(days=3), datetime.min.time(), tzinfo=UTC),
                status="scheduled",
            )
        )
        session.commit()
    again = maintenance_plan.plan_week(toolbox, WEEK)
    assert held.truck not in {visit.params.truck for visit in _visits(again)}
    facts = next(record for record in again.evidence if record.id == again.plan_evidence_id).facts
    assert held.truck not in facts["trucks"]
    _within_workshops(toolbox, again)
    _grounded(again)


def test_bays_held_today_by_booked_work_orders_push_the_visits_later(toolbox):
    first = maintenance_plan.plan_week(toolbox, WEEK)
    dc = next(visit.params.dc for visit in _visits(first) if visit.params.day == 0)
    at_risk = next(record for record in first.evidence if record.id == first.plan_evidence_id).facts["trucks"]
    with toolbox.session() as session:
        bays = next(shop.bays for shop in store.dcs(session) if shop.code == dc)
        others = [t.code for t in store.fleet(session, dc) if t.code not in at_risk][:bays]
        for n, truck in enumerate(others):
            session.add(
                m.WorkOrder(
                    id=f"WO-9300{n}",
                    truck=truck,
                    kind="preventive",
                    bay_dc=dc,
                    opened_at=AS_OF,
                    scheduled_for=AS_OF + timedelta(hours=2),
                    status="scheduled",
                )
            )
        session.commit()
    again = maintenance_plan.plan_week(toolbox, WEEK)
    assert not [visit for visit in _visits(again) if visit.params.dc == dc and visit.params.day == 0]
    _within_workshops(toolbox, again)
    _grounded(again)


def test_a_week_not_starting_today_asks_for_the_day(toolbox):
    proposal = maintenance_plan.plan_week(toolbox, WEEK + timedelta(days=7))
    assert proposal.status == "needs_info" and proposal.missing == ["day"] and not proposal.actions
    _grounded(proposal)
