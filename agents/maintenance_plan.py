"""The maintenance specialist's weekly plan: at the start of a week, every DC's trucks whose failure risk has risen
are scheduled by CP-SAT into the DC's workshop over the week, and booked only where the breakdown cost a visit avoids
beats its cost by the margin."""

from datetime import date, timedelta
from typing import Any

from pydantic import BaseModel

from agents.explain import format_number, format_usd
from agents.maintenance import (
    DEFER,
    HEALTHY_BELOW,
    HORIZON_DAYS,
    MAINTENANCE_RATES,
    PROCEDURE,
    SERVICE_MARGIN,
    SOLVER_TIME_LIMIT_S,
    Workload,
    dc_workload,
    due_for_service,
    failure_cost,
    fleet_risks,
    priced_visit,
    service_kind,
    with_replan,
    workshop_problem,
    worth_booking,
)
from agents.proposal import PlanOption, Proposal, compare_plans, decided, needs_info, pct
from agents.schemas import Claim, Impact
from agents.toolbox import Toolbox
from agents.twin_facts import lookup, rates
from tools import costs
from tools.costs import Rates
from tools.maintenance import FailureRisk
from tools.scheduling import MaintenanceSchedule, ScheduleProblem, ServiceSlot, TruckAtRisk, schedule_maintenance
from twin import actions as a
from twin import models as m
from twin import store

PLAN = "maintenance plan"
IDLE = "no action"


class Assessed(BaseModel):
    """One truck at risk: its CP-SAT slot priced as a booking against deferring it, and whether the booking pays."""

    truck: str
    dc: str
    p_fail: float
    booking: PlanOption
    defer: PlanOption


class DcPlan(BaseModel):
    """A DC's part of the week: its workshop problem, the CP-SAT schedule of the trucks worth booking and every truck
    assessed."""

    dc: str
    problem: ScheduleProblem
    schedule: MaintenanceSchedule
    trucks: list[Assessed]
    workload: Workload


def _assess(
    item: TruckAtRisk, slot: ServiceSlot, problem: ScheduleProblem, p_fail: float, today: date, price: Rates
) -> Assessed:
    """A truck's CP-SAT slot as a priced booking (failures before the visit, deliveries it takes off the road after
    today; today's are re-planned) against leaving it on the road all week, ruled by the service margin."""
    horizon = problem.horizon_days
    defer = PlanOption(
        name=DEFER,
        expected_penalty_usd=round(problem.failure_cost * item.failure_within(horizon), 2),
        impact=Impact.model_validate({"expected_failures": round(item.failure_within(horizon), 4)}),
    )
    name = f"service {item.truck}"
    if slot.day is None:
        booking = PlanOption(
            name=name, feasible=False, infeasible_reason=f"no bay free at {item.dc} within {horizon} days"
        )
        return Assessed(truck=item.truck, dc=item.dc, p_fail=p_fail, booking=booking, defer=defer)
    lost = costs.lost_deliveries(price, item.service_impact(slot.day)) if slot.day > 0 else 0.0
    booking = PlanOption(
        name=name,
        actions=[priced_visit(item.truck, item.dc, slot.day, today, p_fail, price)],
        expected_penalty_usd=round(problem.failure_cost * item.exposure(slot.day) + lost, 2),
        impact=Impact.model_validate(
            {
                "downtime_hours": item.service_hours,
                "deliveries_moved": item.service_impact(slot.day),
                "expected_failures": round(item.exposure(slot.day), 4),
            }
        ),
    )
    return Assessed(
        truck=item.truck, dc=item.dc, p_fail=p_fail, booking=worth_booking(booking, [booking, defer]), defer=defer
    )


def _dc_plan(
    tb: Toolbox,
    dc: m.Location,
    due: list[FailureRisk],
    trucks: dict[str, m.Vehicle],
    price: Rates,
    today: date,
) -> DcPlan:
    """Schedule the DC's trucks at risk; while some slot does not pay, schedule again without those trucks, so the
    ones worth booking get the bays the others held."""
    workload = dc_workload(tb, dc.code, tb.now())
    cost = failure_cost(price, workload)
    p_fail = {risk.truck: risk.p_fail for risk in due}
    assessed: dict[str, Assessed] = {}
    kept = due
    while True:
        problem = workshop_problem(kept, trucks, dc, workload, cost, price)
        schedule = schedule_maintenance(problem, time_limit_s=SOLVER_TIME_LIMIT_S)
        round_ = [
            _assess(item, slot, problem, p_fail[item.truck], today, price)
            for item, slot in zip(problem.trucks, schedule.slots, strict=True)
        ]
        assessed.update((truck.truck, truck) for truck in round_)
        worth = {truck.truck for truck in round_ if truck.booking.feasible}
        if len(worth) == len(kept) or not worth:
            break
        kept = [risk for risk in kept if risk.truck in worth]
    ordered = [assessed[risk.truck] for risk in due]
    return DcPlan(dc=dc.code, problem=problem, schedule=schedule, trucks=ordered, workload=workload)


def _dc_options(tb: Toolbox, plan: DcPlan) -> tuple[PlanOption, PlanOption]:
    """A DC's bookings (trucks in the workshop today taken off their routes by routing's re-plan) and its deferral."""
    booked = [truck for truck in plan.trucks if truck.booking.feasible]
    left = [truck for truck in plan.trucks if not truck.booking.feasible]
    failures = sum(t.booking.impact.model_dump()["expected_failures"] for t in booked)
    failures += sum(t.defer.impact.model_dump()["expected_failures"] for t in left)
    bookings = PlanOption(
        name=PLAN,
        actions=[action for truck in booked for action in truck.booking.actions],
        expected_penalty_usd=round(
            sum(t.booking.expected_penalty_usd for t in booked) + sum(t.defer.expected_penalty_usd for t in left), 2
        ),
        impact=Impact.model_validate({"expected_failures": round(failures, 4)}),
    )
    idle_failures = sum(t.defer.impact.model_dump()["expected_failures"] for t in plan.trucks)
    idle = PlanOption(
        name=IDLE,
        expected_penalty_usd=round(sum(t.defer.expected_penalty_usd for t in plan.trucks), 2),
        impact=Impact.model_validate({"expected_failures": round(idle_failures, 4)}),
    )
    return with_replan(tb, bookings, plan.workload), idle


def _merged(name: str, options: list[PlanOption]) -> PlanOption:
    """The DCs' parts of one way of running the week as one whole plan."""
    failures = sum(option.impact.model_dump().get("expected_failures") or 0.0 for option in options)
    return PlanOption(
        name=name,
        actions=[action for option in options for action in option.actions],
        expected_penalty_usd=round(sum(option.expected_penalty_usd for option in options), 2),
        impact=Impact.model_validate({"expected_failures": round(failures, 2)}),
        helpers=[helper for option in options for helper in option.helpers],
    )


def _truck_facts(truck: Assessed, today: date) -> dict[str, Any]:
    """What the plan knows of one truck at risk, as the evidence its sentences cite."""
    visit = next((item for item in truck.booking.actions if isinstance(item, a.ScheduleMaintenance)), None)
    return {
        "dc": truck.dc,
        "p_fail": truck.p_fail,
        "service": service_kind(truck.p_fail),
        "service_date": (today + timedelta(days=visit.params.day)).isoformat() if visit else None,
        "visit_usd": visit.params.cost_usd if visit else None,
        "defer_penalty_usd": truck.defer.expected_penalty_usd,
        "booked_penalty_usd": truck.booking.expected_penalty_usd if visit else None,
        "cost_avoided_usd": (truck.booking.impact.model_extra or {}).get("cost_avoided_usd"),
        "booked": truck.booking.feasible,
        "why_not": truck.booking.infeasible_reason,
    }


def _truck_claim(truck: Assessed, facts: dict[str, Any], plan_id: str) -> Claim:
    """Why one truck is booked on its day, or why it is left on the road."""
    if truck.booking.feasible:
        text = (
            f"Book {truck.truck} ({facts['service'].replace('_', ' ')}, P(fail) {pct(truck.p_fail)}) at {truck.dc} "
            f"on {facts['service_date']}: it avoids {format_usd(facts['cost_avoided_usd'])} of expected breakdown "
            f"cost for {format_usd(facts['visit_usd'])}."
        )
    else:
        text = f"{truck.truck} (P(fail) {pct(truck.p_fail)}) is not booked: {truck.booking.infeasible_reason}."
    return Claim(text=text, evidence_ids=[plan_id])


NOTHING_PAYS = f"no visit avoids more expected breakdown cost than its cost plus the {SERVICE_MARGIN * 100:.0f}% margin"


def _plan_facts(day: date, plans: list[DcPlan], truck_facts: dict[str, dict[str, Any]]) -> dict[str, object]:
    """The week plan's recorded facts: the bands and margin, each workshop's capacity and the trucks assessed."""
    return {
        "day": day.isoformat(),
        "procedure": PROCEDURE,
        "healthy_below": HEALTHY_BELOW,
        "horizon_days": HORIZON_DAYS,
        "service_margin": SERVICE_MARGIN,
        "trucks_at_risk": len(truck_facts),
        "trucks_booked": sum(truck.booking.feasible for plan in plans for truck in plan.trucks),
        "workshops": {
            plan.dc: {
                "bays": plan.problem.workshops[0].bays,
                "technician_hours": plan.problem.workshops[0].technician_hours,
                "failure_cost_usd": plan.problem.failure_cost,
                "trucks_at_risk": len(plan.trucks),
            }
            for plan in plans
        },
        "trucks": truck_facts,
    }


def _week_findings(
    day: date, plans: list[DcPlan], truck_facts: dict[str, dict[str, Any]], comparison_id: str
) -> list[Claim]:
    """The trucks at risk per workshop, one claim per truck, and the booking rule."""
    assessed = [truck for plan in plans for truck in plan.trucks]
    shops = "; ".join(
        f"{plan.dc} {len(plan.trucks)} (workshop bays {plan.problem.workshops[0].bays}, "
        f"{format_number(plan.problem.workshops[0].technician_hours)} technician hours a day, a breakdown "
        f"{format_usd(plan.problem.failure_cost)})"
        for plan in plans
    )
    return [
        Claim(
            text=f"{len(assessed)} trucks without an open work order are at P(fail) {format_number(HEALTHY_BELOW)} "
            f"or above for the week of {day}: {shops}.",
            evidence_ids=[comparison_id],
        ),
        *(_truck_claim(truck, truck_facts[truck.truck], comparison_id) for truck in assessed),
        Claim(
            text=f"{PROCEDURE}: a visit is booked only when the breakdown cost it avoids beats its cost by "
            f"{SERVICE_MARGIN * 100:.0f}%; CP-SAT keeps each DC's bookings within its bays and technician hours "
            "every day.",
            evidence_ids=[comparison_id],
        ),
    ]


def plan_week(tb: Toolbox, day: date) -> Proposal:
    """The week's workshop plan from `day` (the twin's current day): every DC's trucks at risk scheduled by CP-SAT
    over bays, technician hours and each day's deliveries, booked where the visit pays by the margin, compared with
    leaving them all on the road."""
    now = tb.now()
    today = now.date()
    found = lookup("maintenance_plan", day.isoformat(), None)
    if day != today:
        reason = f"A maintenance plan starts on the twin's current day, {today}: failure risk is scored now."
        found.facts["today"] = today.isoformat()
        return needs_info("maintenance", ["day"], reason, found)
    risks, trucks = fleet_risks(tb)
    with tb.session() as session:
        dcs = store.dcs(session)
        price = rates(session)
        in_workshop = store.trucks_with_open_work_orders(session)
    plans = [
        _dc_plan(tb, dc, due, trucks, price, today)
        for dc in dcs
        if (due := due_for_service(risks, trucks, dc.code, in_workshop))
    ]
    if not plans:
        reason = f"No truck without an open work order is at P(fail) {format_number(HEALTHY_BELOW)} or above."
        found.facts["healthy_below"] = HEALTHY_BELOW
        return needs_info("maintenance", [], reason, found, status="no_action")
    parts = [_dc_options(tb, plan) for plan in plans]
    planned, idle = _merged(PLAN, [p for p, _ in parts]), _merged(IDLE, [i for _, i in parts])
    if not planned.actions:
        planned = planned.model_copy(update={"feasible": False, "infeasible_reason": NOTHING_PAYS})
    assessed = [truck for plan in plans for truck in plan.trucks]
    confidence = sum(max(t.p_fail, 1 - t.p_fail) for t in assessed) / len(assessed)
    truck_facts = {truck.truck: _truck_facts(truck, today) for truck in assessed}
    chosen, alternatives, comparison = compare_plans(
        f"maintenance-{day}",
        [planned, idle],
        confidence,
        _plan_facts(day, plans, truck_facts),
    )
    findings = _week_findings(day, plans, truck_facts, comparison.id)
    schedules = [plan.schedule.evidence for plan in plans]
    return decided(
        "maintenance",
        chosen,
        alternatives,
        comparison,
        [price.evidence(MAINTENANCE_RATES), *schedules],
        findings,
        f"Chosen: {chosen.name} for the week of {day} ({format_usd(chosen.expected_total_usd)} expected).",
        confidence,
    )
