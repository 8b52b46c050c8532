"""The maintenance specialist: truck failure risk, CP-SAT service slots in the DC workshops, and the fleet's
service priority."""

import math
import re
import threading
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pandas as pd
from pydantic import BaseModel, Field
from sqlmodel import Session

from agents import routing
from agents.explain import describe_drivers, format_number, format_usd
from agents.proposal import Handoff, PlanOption, Proposal, compare_plans, decided, needs_info, pct
from agents.schemas import Action, Claim, Impact, Refs
from agents.toolbox import Toolbox
from agents.twin_facts import lookup, rates
from tools import costs
from tools.costs import Rates
from tools.evidence import Driver, Evidence, Source
from tools.maintenance import WINDOW_DAYS, FailureRisk, score_trucks
from tools.scheduling import MaintenanceSchedule, ScheduleProblem, TruckAtRisk, Workshop, schedule_maintenance
from twin import actions as a
from twin import fleet, store
from twin import models as m
from twin.typed_pandas import as_frame, as_series

PROCEDURE = "SOP-MAINT-01"
HEALTHY_BELOW = 0.30  # SOP-MAINT-01: below 0.30 routine preventive maintenance only
CRITICAL_FROM = 0.80  # SOP-MAINT-01: from 0.80 the truck leaves service; SOP-SAFE-01: never executed automatically
SERVICE_HOURS = (
    (CRITICAL_FROM, 8.0, "removal"),
    (0.60, 6.0, "work_order"),
    (HEALTHY_BELOW, 4.0, "inspection"),
    (0.0, 3.0, "routine"),
)  # technician hours of a class 8 truck per SOP-MAINT-01 band: removal with
# full inspection and repair, work order, inspection, routine service
MAINTENANCE_RATES = [
    "workshop_labour_usd_per_hour",
    "parts_usd_routine",
    "parts_usd_inspection",
    "parts_usd_work_order",
    "parts_usd_removal",
    "breakdown_tow_usd",
    "breakdown_premium_usd",
    "breakdown_downtime_days",
    "delivery_rebook_usd",
]
HORIZON_DAYS = 7  # SOP-MAINT-01: the slowest band asks for an inspection within 7 days
DEFER = "defer to next preventive service"
SAFETY_PROCEDURE = "SOP-SAFE-01"
REPORT_SOURCE = Source(tool="report", model="person", version="1")
SERVICE_MARGIN = 0.20  # a booking must avoid 20% more expected breakdown cost than it spends: the failure model is
# not calibrated on outcomes and a visit takes the truck off the road, so a break-even booking loses money on average
SAFETY_SYMPTOMS = {
    "brakes": r"brak(?:e|es|ing)",
    "steering": r"steer(?:s|ing)?",
    "tyres": r"tyres?|tires?|blow-?outs?|flat tyre|flat tire",
    "smoke": r"smok(?:e|es|ing|y)",
    "fire": r"fires?|flames?|burning",
    "fluid leak": r"leak(?:s|ing)?|leaked",
    "warning light": r"warning lights?|dash(?:board)? lights?",
    "oil pressure": r"oil pressure",
    "coupling": r"coupling|fifth wheel",
}  # SOP-SAFE-01: symptoms a person reports that need a technician to inspect the truck whatever the model says
MIN_AVAILABLE_SHARE = 0.85  # SOP-MAINT-01: keep at least 85% of a DC's trucks available on any day
PROFILE_WEEKS = 26  # own-fleet deliveries per weekday over the last half year shape the later days' workload
SOLVER_TIME_LIMIT_S = 5.0


class FleetPriority(BaseModel):
    """One truck in the service queue: its failure risk, remaining useful life, top drivers and the evidence."""

    truck: str
    dc: str
    status: str
    p_fail: float
    rul_days: float
    drivers: list[Driver]
    evidence: Evidence


class Workload(BaseModel):
    """A DC's days ahead: today's stops per truck, the typical count for each day (today's mean first) and the workshop
    bays work orders already hold each day."""

    today: dict[str, int]
    typical: list[float]
    held_bays: list[int] = Field(default_factory=list)

    def deliveries(self, truck: str) -> list[float]:
        """The deliveries a truck would run on each day of the horizon."""
        return [float(self.today.get(truck, 0)), *self.typical[1:]]


class FleetRiskCache:
    """The fleet's scores of each database, kept while what they were computed from still holds: the model version,
    the twin's clock, `fleet.fleet_stamp` (a reading added, a truck booked) and the recent readings themselves (a
    reading corrected in place)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._scores: dict[str, tuple[tuple[object, ...], list[FailureRisk]]] = {}

    def risks(self, tb: Toolbox, session: Session, now: datetime) -> list[FailureRisk]:
        """Every truck's failure risk at `now` (the twin's clock), riskiest first: the kept ones if nothing changed."""
        recent = fleet.recent_readings(session, now, WINDOW_DAYS)
        stamp = (tb.models.fleet.version, now, *fleet.fleet_stamp(session), fleet.digest(recent))
        database = tb.engine.url.render_as_string(hide_password=False)
        with self._lock:
            kept = self._scores.get(database)
        if kept and kept[0] == stamp:
            return kept[1]
        scores = _scored(tb, session, now, recent)
        with self._lock:
            self._scores[database] = (stamp, scores)
        return scores


FLEET_RISKS = FleetRiskCache()


def truck_risks(tb: Toolbox, session: Session, now: datetime, trucks: list[str]) -> list[FailureRisk]:
    """The failure risk at `now` of the trucks named, riskiest first (each scored alone, as in the whole fleet)."""
    return _scored(tb, session, now, fleet.recent_readings(session, now, WINDOW_DAYS, trucks), trucks)


def _scored(
    tb: Toolbox, session: Session, now: datetime, recent: pd.DataFrame, trucks: list[str] | None = None
) -> list[FailureRisk]:
    """Scores from each truck's `recent` readings (topped up to its last `WINDOW_DAYS`) and its running means; a truck
    serviced since its latest reading is not scored until a reading describes it again."""
    means = fleet.running_means(session, now, trucks)
    window = fleet.latest_readings(session, now, WINDOW_DAYS, as_series(means["readings"]), recent)
    window = as_frame(window[~window["truck"].isin(list(fleet.serviced_since_reading(session, window)))])
    return score_trucks(tb.models.fleet, window, now, running_means=means) if len(window) else []


def fleet_risks(tb: Toolbox) -> tuple[list[FailureRisk], dict[str, m.Vehicle]]:
    """Every truck's failure risk at the twin's clock, riskiest first, and the trucks by code."""
    with tb.session() as session:
        risks = FLEET_RISKS.risks(tb, session, tb.now())
        trucks = {vehicle.code: vehicle for vehicle in store.fleet(session)}
    return risks, trucks


def fleet_priority(tb: Toolbox, k: int = 5) -> list[FleetPriority]:
    """The `k` trucks most likely to fail within the model's horizon: the order in which to service them."""
    risks, trucks = fleet_risks(tb)
    return [
        FleetPriority(
            truck=risk.truck,
            dc=trucks[risk.truck].home_dc,
            status=trucks[risk.truck].status,
            p_fail=risk.p_fail,
            rul_days=risk.rul_days,
            drivers=risk.drivers,
            evidence=risk.evidence,
        )
        for risk in risks[:k]
    ]


def service_hours(p_fail: float) -> float:
    """Technician hours of the job the risk band calls for."""
    return next(hours for floor, hours, _ in SERVICE_HOURS if p_fail >= floor)


def service_kind(p_fail: float) -> str:
    """The job the risk band calls for: routine, inspection, work_order or removal."""
    return next(kind for floor, _, kind in SERVICE_HOURS if p_fail >= floor)


def daily_hazard(p_fail: float, horizon_days: int) -> float:
    """The constant daily failure probability that gives `p_fail` over the horizon."""
    return 1 - (1 - min(p_fail, 1.0)) ** (1 / horizon_days)


def hazard_growth(hazard: float, rul_days: float) -> float:
    """Daily relative growth that takes the hazard to certain failure at the predicted RUL (at most +100% a day)."""
    if not 0 < hazard < 1:
        return 0.0
    return min(1.0, (1 / hazard) ** (1 / max(rul_days, 1.0)) - 1)


def truck_at_risk(risk: FailureRisk, dc: str, deliveries: list[float]) -> TruckAtRisk:
    """The scheduling input of one scored truck."""
    hazard = daily_hazard(risk.p_fail, risk.horizon_days)
    return TruckAtRisk(
        truck=risk.truck,
        dc=dc,
        failure_prob=round(hazard, 4),
        hazard_growth=round(hazard_growth(hazard, risk.rul_days), 4),
        service_hours=service_hours(risk.p_fail),
        deliveries=[round(d, 1) for d in deliveries],
    )


def workshop(dc: m.Location, fleet_size: int, critical: int, held: list[int]) -> Workshop:
    """The DC's bays, capped so 85% of its trucks stay available unless more trucks than that are critical, less those
    `held` each day by work orders already booked."""
    may_be_out = fleet_size - math.ceil(MIN_AVAILABLE_SHARE * fleet_size)
    return Workshop(
        dc=dc.code,
        bays=min(dc.bays, max(1, may_be_out, critical)),
        technician_hours=dc.technician_hours_per_day,
        held_bays=held,
    )


def deliveries_per_day_down(price: Rates, workload: Workload) -> float:
    """The deliveries a failed truck misses each day it is down: the DC's typical count over those days."""
    down = workload.typical[: max(1, math.ceil(price["breakdown_downtime_days"]))]
    return sum(down) / len(down)


def failure_cost(price: Rates, workload: Workload) -> float:
    """USD of one breakdown: the tow, the corrective premium and the deliveries lost while the truck is down."""
    return costs.breakdown(price, deliveries_per_day_down(price, workload))


def dc_workload(tb: Toolbox, dc: str, now: datetime) -> Workload:
    """Today's stops per truck at a DC, each day's typical count (today's mean, or the latest day of routes' when none
    run today, scaled by the weekday's share against that day's) and the workshop bays work orders already hold each
    day."""
    today = now.date()
    with tb.session() as session:
        routes = store.routes_on(session, today, dc)
        by_weekday = store.fleet_deliveries_by_weekday(session, dc, now - timedelta(weeks=PROFILE_WEEKS), now)
        held = [len(store.workshop_bookings(session, dc, today + timedelta(days=d))) for d in range(HORIZON_DAYS)]
        stops = {route.truck: len(route_stops) for route, route_stops in routes}
        routed, mean = (today, sum(stops.values()) / len(stops)) if stops else store.latest_route_load(session, dc)
    base = by_weekday[(routed or today).weekday()]
    scale = [by_weekday[(today + timedelta(days=d)).weekday()] / base if base else 1.0 for d in range(HORIZON_DAYS)]
    return Workload(today=stops, typical=[round(mean * factor, 1) for factor in scale], held_bays=held)


def service_action(
    code: str, dc: str, day: int, today: date, p_fail: float, cost: float, safety_critical: bool = False
) -> Action:
    """A preventive work order for a truck at its DC on a day of the horizon, priced with the deliveries it loses."""
    return a.ScheduleMaintenance(
        params=a.ScheduleMaintenanceParams(
            truck=code,
            dc=dc,
            day=day,
            date=today + timedelta(days=day),
            kind="preventive",
            service=service_kind(p_fail),
            service_hours=service_hours(p_fail),
            safety_critical=safety_critical or p_fail >= CRITICAL_FROM,
            cost_usd=cost,
        )
    )


def percent(share: float) -> str:
    """A share written as a whole percentage (0.2 as 20%)."""
    return f"{share * 100:.0f}%"


def reported_symptoms(description: str | None) -> list[str]:
    """The safety symptoms (SAFETY_SYMPTOMS) a person's report names, matched on whole words."""
    text = (description or "").lower()
    return [name for name, words in SAFETY_SYMPTOMS.items() if re.search(rf"\b(?:{words})\b", text)]


def _report_evidence(code: str, description: str, symptoms: list[str]) -> Evidence:
    """A person's report on a truck as evidence: its words and the safety symptoms found in them."""
    return Evidence(
        id=f"report:{code}",
        source=REPORT_SOURCE,
        inputs={"truck": code, "description": description},
        facts={
            "symptoms": symptoms,
            "procedure": SAFETY_PROCEDURE,
            "rule": "a reported safety symptom ends at least in an inspection, approved by a person",
        },
    )


def _open_order(code: str, order: m.WorkOrder) -> Proposal:
    """No second booking for a truck whose work order is not closed: the decision names the order and its day."""
    record = lookup("work_order", order.id, order)
    when = f" for {order.scheduled_for:%Y-%m-%d}" if order.scheduled_for else ""
    return needs_info(
        "maintenance",
        [],
        f"Truck {code} already has work order {order.id} {order.status}{when}: it is not booked twice.",
        record,
        status="no_action",
    )


@dataclass(frozen=True)
class TruckCase:
    """What the maintenance specialist knows about one scored truck before it weighs its plans."""

    code: str
    dc: m.Location
    price: Rates
    in_workshop: set[str]
    risk: FailureRisk
    risks: list[FailureRisk]
    trucks: dict[str, m.Vehicle]
    workload: Workload
    cost: float
    at_risk: float
    today: date


def equipment_failure_risk(tb: Toolbox, refs: Refs, report: str | None = None) -> Proposal:
    """Score a truck's failure risk; book the CP-SAT service slot against its DC's other trucks when the breakdown cost
    it avoids beats its cost by the margin, or inspect it today when a person's `report` names a safety symptom."""
    case = _truck_case(tb, refs)
    if isinstance(case, Proposal):
        return case
    found, case = case
    code, risk = case.code, case.risk
    facts = _risk_facts(case)
    shop = lookup("dc", case.dc.code, case.dc)
    findings = _risk_findings(found, shop, risk, case.dc)
    evidence = [found, shop, risk.evidence, case.price.evidence(MAINTENANCE_RATES)]
    confidence = max(risk.p_fail, 1 - risk.p_fail)
    options, schedule, service_date = _service_options(tb, case)
    if schedule is not None:
        facts["service_date"] = service_date
        evidence.append(schedule.evidence)
    symptoms = reported_symptoms(report)
    record = _report_evidence(code, report or "", symptoms) if symptoms else None
    if record is not None:
        evidence.append(record)
        facts.update(reported_symptoms=symptoms, safety_procedure=SAFETY_PROCEDURE)
        inspection = with_replan(tb, _reported_inspection(risk, case.dc.code, case.today, case.price), case.workload)
        options = [inspection, *(_ruled_out_by_report(option, symptoms) for option in options)]
    else:
        options = [worth_booking(option, options) for option in options]
    chosen, alternatives, plan = compare_plans(code, options, confidence, facts)
    if schedule is not None:
        findings += _schedule_findings(schedule, risk, case.dc.code, service_date, plan.id)
    elif record is None:
        findings.append(_routine_claim(code, plan.id))
    findings.append(_horizon_claim(case, plan.id))
    if record is not None:
        findings.append(_report_claim(code, symptoms, record, risk, plan.id))
    else:
        findings += _margin_claims(options, chosen, plan.id)
    guidance = tb.guidance(
        f"truck {code} failure risk {risk.p_fail}: {describe_drivers(risk.drivers)}", "equipment_failure_risk"
    )
    return decided(
        "maintenance",
        chosen,
        alternatives,
        plan,
        [*evidence, guidance],
        findings,
        f"Chosen: {chosen.name} for {code} ({format_usd(chosen.expected_total_usd)} expected).",
        confidence,
    )


def _truck_case(tb: Toolbox, refs: Refs) -> Proposal | tuple[Evidence, TruckCase]:
    """The truck's twin record, workshop bookings, rates, risk and workload, or the answer that ends the case early:
    an unknown truck, one already in the workshop, or one without telemetry."""
    code = refs.asset_id
    with tb.session() as session:
        vehicle = session.get(m.Vehicle, code) if code else None
        found = lookup("truck", code, vehicle)
        if vehicle is None or code is None:
            reason = f"Truck {code} is not in the twin." if code else "The exception names no truck."
            return needs_info("maintenance", ["asset_id"], reason, found)
        dc = store.row(session, m.Location, vehicle.home_dc)
        booked = store.open_work_orders(session, code)
        price = rates(session)
        in_workshop = store.trucks_with_open_work_orders(session)
        now, serviced = tb.now(), vehicle.last_service_at
        trucks = {truck.code: truck for truck in store.fleet(session, dc.code)}
        risks = [] if booked else truck_risks(tb, session, now, list(trucks))
    if booked:
        return _open_order(code, booked[0])
    risk = next((r for r in risks if r.truck == code), None)
    if risk is None:
        reason = f"Truck {code} has no reading since its last service ({serviced:%Y-%m-%d %H:%M}) to score."
        return needs_info("maintenance", [], reason, found, status="no_action")
    workload = dc_workload(tb, dc.code, now)
    found.facts["stops_today"] = workload.today.get(code, 0)
    cost = failure_cost(price, workload)
    at_risk = truck_at_risk(risk, dc.code, workload.deliveries(code)).failure_within(HORIZON_DAYS)
    case = TruckCase(code, dc, price, in_workshop, risk, risks, trucks, workload, cost, at_risk, now.date())
    return found, case


def _risk_facts(case: TruckCase) -> dict[str, object]:
    """The facts a maintenance plan records: the truck, its risk over the horizon, the bands and the prices."""
    return {
        "truck": case.code,
        "dc": case.dc.code,
        "procedure": PROCEDURE,
        "p_fail": case.risk.p_fail,
        "p_fail_horizon": round(case.at_risk, 4),
        "horizon_days": HORIZON_DAYS,
        "healthy_below": HEALTHY_BELOW,
        "critical_from": CRITICAL_FROM,
        "failure_cost_usd": case.cost,
        "breakdown_days": case.price["breakdown_downtime_days"],
        "breakdown_deliveries": _deliveries_lost_down(case),
        "service_margin": SERVICE_MARGIN,
    }


def _service_options(tb: Toolbox, case: TruckCase) -> tuple[list[PlanOption], MaintenanceSchedule | None, str | None]:
    """Deferring against servicing: for a healthy truck the routine options; otherwise the CP-SAT slot among its
    DC's trucks at risk, with its service date."""
    risk = case.risk
    if risk.p_fail < HEALTHY_BELOW:
        penalty = round(case.at_risk * case.cost, 2)
        options = _healthy_options(case.code, case.dc.code, case.today, risk, case.price, penalty, case.at_risk)
        return options, None, None
    problem = schedule_problem(
        case.risks, case.trucks, case.dc, case.workload, case.cost, case.code, case.price, case.in_workshop
    )
    schedule = schedule_maintenance(problem, time_limit_s=SOLVER_TIME_LIMIT_S)
    slot = next(s for s in schedule.slots if s.truck == case.code)
    service_date = None if slot.day is None else (case.today + timedelta(days=slot.day)).isoformat()
    p_fail_of = {r.truck: r.p_fail for r in case.risks}
    plans = service_plans(problem, schedule, risk, case.today, case.price, p_fail_of)
    return [with_replan(tb, option, case.workload) for option in plans], schedule, service_date


def _routine_claim(code: str, plan_id: str) -> Claim:
    """Why a healthy truck stays on routine preventive maintenance."""
    return Claim(
        text=f"Below {format_number(HEALTHY_BELOW)}, {PROCEDURE} keeps {code} on routine preventive maintenance.",
        evidence_ids=[plan_id],
    )


def _deliveries_lost_down(case: TruckCase) -> float:
    """The deliveries a breakdown of the case's truck would cost over the days it is down."""
    return round(case.price["breakdown_downtime_days"] * deliveries_per_day_down(case.price, case.workload), 1)


def _horizon_claim(case: TruckCase, plan_id: str) -> Claim:
    """The truck's failure probability over the planning horizon and what a breakdown costs."""
    return Claim(
        text=f"Over the {HORIZON_DAYS}-day planning horizon that is P(fail) {pct(case.at_risk)}; a breakdown costs "
        f"{format_usd(case.cost)}: the tow, the corrective premium and {format_number(_deliveries_lost_down(case))} "
        f"deliveries lost over the {format_number(case.price['breakdown_downtime_days'])} days it is down.",
        evidence_ids=[case.risk.evidence.id, plan_id],
    )


def _healthy_options(
    code: str, dc: str, today: date, risk: FailureRisk, price: Rates, penalty: float, at_risk: float
) -> list[PlanOption]:
    """For a truck below the service threshold: defer to routine maintenance; servicing it today is ruled out."""
    return [
        PlanOption(
            name=DEFER,
            expected_penalty_usd=penalty,
            impact=Impact.model_validate({"expected_failures": round(at_risk, 2)}),
        ),
        PlanOption(
            name="service today",
            actions=[priced_visit(code, dc, 0, today, risk.p_fail, price)],
            feasible=False,
            infeasible_reason=f"P(fail) {pct(risk.p_fail)} is below {format_number(HEALTHY_BELOW)}: "
            f"{PROCEDURE} keeps routine preventive maintenance",
        ),
    ]


def _books(option: PlanOption) -> bool:
    """Whether a plan books a workshop visit."""
    return any(isinstance(item, a.ScheduleMaintenance) for item in option.actions)


def worth_booking(option: PlanOption, options: list[PlanOption]) -> PlanOption:
    """A booking plan priced against deferring: the expected breakdown cost it avoids must exceed its cost by
    SERVICE_MARGIN, else it is ruled out with both figures."""
    defer = next(item for item in options if item.name == DEFER)
    if not option.feasible or not _books(option):
        return option
    avoided = round(max(0.0, defer.expected_penalty_usd - option.expected_penalty_usd), 2)  # a cost is never negative
    priced = option.model_copy(update={"impact": option.impact.model_copy(update={"cost_avoided_usd": avoided})})
    if avoided > (1 + SERVICE_MARGIN) * option.cost_usd:
        return priced
    return priced.model_copy(
        update={
            "feasible": False,
            "infeasible_reason": f"it avoids {format_usd(avoided)} of expected breakdown cost for "
            f"{format_usd(option.cost_usd)}: less than its cost plus the {percent(SERVICE_MARGIN)} margin",
        }
    )


def _avoided(option: PlanOption) -> float | None:
    """The expected breakdown cost a booking plan avoids, once priced against deferring."""
    return (option.impact.model_extra or {}).get("cost_avoided_usd")


def _margin_claims(options: list[PlanOption], chosen: PlanOption, plan_id: str) -> list[Claim]:
    """What the chosen booking avoids against its cost and the margin, or why no booking was worth it."""
    margin = f"its cost plus the {percent(SERVICE_MARGIN)} margin a booking must clear"
    if _books(chosen):
        avoided = _avoided(chosen)
        if avoided is None:
            raise ValueError(f"the booking {chosen.name!r} is not priced against deferring")
        text = (
            f"Booking avoids {format_usd(avoided)} of expected breakdown cost for "
            f"{format_usd(chosen.cost_usd)}: more than {margin}."
        )
        return [Claim(text=text, evidence_ids=[plan_id])]
    priced = [(option, avoided) for option in options if (avoided := _avoided(option)) is not None]
    if not priced:
        return []
    best, best_avoided = max(priced, key=lambda pair: (pair[1] - pair[0].cost_usd, pair[0].name))
    text = (
        f"The best booking ({best.name}) avoids {format_usd(best_avoided)} of expected breakdown cost for "
        f"{format_usd(best.cost_usd)}: less than {margin}, so the truck is not booked."
    )
    return [Claim(text=text, evidence_ids=[plan_id])]


def _reported_inspection(risk: FailureRisk, dc: str, today: date, price: Rates) -> PlanOption:
    """A visit today for a reported safety symptom: at least an inspection, safety-critical so a person approves."""
    band = max(risk.p_fail, HEALTHY_BELOW)
    visit = costs.workshop_visit(price, service_kind(band), service_hours(band))
    return PlanOption(
        name=f"{service_kind(band).replace('_', ' ')} today on the report",
        actions=[service_action(risk.truck, dc, 0, today, band, visit, safety_critical=True)],
        impact=Impact(downtime_hours=service_hours(band)),
    )


def _ruled_out_by_report(option: PlanOption, symptoms: list[str]) -> PlanOption:
    """A model-driven plan set aside: a reported safety symptom sends the truck to the workshop today."""
    return option.model_copy(
        update={
            "feasible": False,
            "infeasible_reason": f"the report names {', '.join(symptoms)}: {SAFETY_PROCEDURE} needs a technician "
            f"to inspect the truck today whatever the model says",
        }
    )


def _report_claim(code: str, symptoms: list[str], record: Evidence, risk: FailureRisk, plan_id: str) -> Claim:
    """The person's report as evidence, weighed against the model's probability."""
    return Claim(
        text=f"The report on {code} names {', '.join(symptoms)}: {SAFETY_PROCEDURE} sends it to a technician today "
        f"whatever the model says (P(fail) {pct(risk.p_fail)}); the work is safety-critical and waits for approval.",
        evidence_ids=[record.id, risk.evidence.id, plan_id],
    )


def with_replan(tb: Toolbox, option: PlanOption, workload: Workload) -> PlanOption:
    """A plan that takes trucks with stops today into the workshop, completed by routing's re-plan without them."""
    today = [
        visit.params.truck
        for visit in option.actions
        if isinstance(visit, a.ScheduleMaintenance) and visit.params.day == 0 and workload.today.get(visit.params.truck)
    ]
    if not option.feasible or not today:
        return option
    handoff = Handoff(
        to="routing",
        reason=f"Truck {today[0]} goes to the workshop today.",
        request={"kind": "replan_without_truck", "truck": today[0], "also_out": today[1:]},
    )
    return option.with_helper(routing.handle_handoff(tb, handoff))


def _risk_findings(found: Evidence, shop: Evidence, risk: FailureRisk, dc: m.Location) -> list[Claim]:
    """The truck's day and workshop (twin facts) and what the failure-risk model says and why."""
    code = risk.truck
    return [
        Claim(
            text=f"Truck {code} of {dc.code} runs {found.facts['stops_today']} stops today; the workshop has "
            f"{dc.bays} bays and {format_number(dc.technician_hours_per_day)} technician hours a day.",
            evidence_ids=[found.id, shop.id],
        ),
        Claim(
            text=f"The failure-risk model gives {code} P(fail) {pct(risk.p_fail)} within {risk.horizon_days} "
            f"days and a RUL of {format_number(risk.rul_days)} days.",
            evidence_ids=[risk.evidence.id],
        ),
        Claim(text=f"Top drivers for {code}: {describe_drivers(risk.drivers)}.", evidence_ids=[risk.evidence.id]),
    ]


def schedule_problem(
    risks: list[FailureRisk],
    trucks: dict[str, m.Vehicle],
    dc: m.Location,
    workload: Workload,
    cost: float,
    code: str,
    price: Rates,
    in_workshop: set[str],
) -> ScheduleProblem:
    """The truck and its DC's other trucks at risk competing for the DC's workshop over the horizon; a truck with an
    open work order is already booked and is not booked again."""
    due = due_for_service(risks, trucks, dc.code, in_workshop)
    due_codes = {r.truck for r in due}
    at_risk = [r for r in risks if r.truck == code or r.truck in due_codes]
    return workshop_problem(at_risk, trucks, dc, workload, cost, price)


def due_for_service(
    risks: list[FailureRisk], trucks: dict[str, m.Vehicle], dc: str, in_workshop: set[str]
) -> list[FailureRisk]:
    """A DC's trucks whose risk has risen out of routine maintenance and that have no open work order."""
    return [
        r for r in risks if trucks[r.truck].home_dc == dc and r.p_fail >= HEALTHY_BELOW and r.truck not in in_workshop
    ]


def workshop_problem(
    at_risk: list[FailureRisk],
    trucks: dict[str, m.Vehicle],
    dc: m.Location,
    workload: Workload,
    cost: float,
    price: Rates,
) -> ScheduleProblem:
    """Trucks at risk competing for their DC's workshop over the horizon, each with the deliveries it would run."""
    fleet_size = sum(truck.home_dc == dc.code for truck in trucks.values())
    return ScheduleProblem(
        trucks=[truck_at_risk(r, dc.code, workload.deliveries(r.truck)) for r in at_risk],
        workshops=[workshop(dc, fleet_size, sum(r.p_fail >= CRITICAL_FROM for r in at_risk), workload.held_bays)],
        horizon_days=HORIZON_DAYS,
        failure_cost=cost,
        delivery_cost=price["delivery_rebook_usd"],
    )


def priced_visit(truck: str, dc: str, day: int, today: date, p_fail: float, price: Rates) -> Action:
    """One truck's work order on `day`, priced: technician hours and parts of its risk band."""
    visit = costs.workshop_visit(price, service_kind(p_fail), service_hours(p_fail))
    return service_action(truck, dc, day, today, p_fail, visit)


def service_plans(
    problem: ScheduleProblem,
    schedule: MaintenanceSchedule,
    risk: FailureRisk,
    today: date,
    price: Rates,
    p_fail_of: dict[str, float],
) -> list[PlanOption]:
    """Deferring, servicing in the CP-SAT slot (with the other trucks the schedule books into the workshop today) and,
    when that slot is not today, servicing today regardless of the other trucks; every plan is priced over the same
    trucks, so a plan that books a truck carries its visit and the one that leaves it on the road carries its risk."""
    code = risk.truck
    truck = next(t for t in problem.trucks if t.truck == code)
    slot = next(s for s in schedule.slots if s.truck == code)
    shop = problem.workshops[0]
    at_risk = {item.truck: item for item in problem.trucks}
    others = [s.truck for s in schedule.slots if s.day == 0 and s.truck != code]

    def plan(name: str, day: int, booked: list[str]) -> PlanOption:
        """Service on `day` (with `booked` trucks today): failures before the visits and of the trucks left on the
        road are expected, and so are the deliveries a later visit takes off the road (today's are re-planned)."""
        exposure = truck.exposure(day) + sum(at_risk[other].exposure(0) for other in booked)
        exposure += sum(at_risk[other].failure_within(problem.horizon_days) for other in others if other not in booked)
        lost = costs.lost_deliveries(price, truck.service_impact(day)) if day > 0 else 0.0
        return PlanOption(
            name=name,
            actions=[
                priced_visit(code, shop.dc, day, today, p_fail_of[code], price),
                *(priced_visit(other, shop.dc, 0, today, p_fail_of[other], price) for other in booked),
            ],
            expected_penalty_usd=round(problem.failure_cost * exposure + lost, 2),
            impact=Impact.model_validate(
                {
                    "downtime_hours": truck.service_hours,
                    "deliveries_moved": truck.service_impact(day),
                    "expected_failures": round(exposure, 2),
                }
            ),
        )

    defer = _defer_option(problem, [code, *others])
    if slot.day is None:
        solver_plan = PlanOption(
            name="service in the CP-SAT slot",
            feasible=False,
            infeasible_reason=f"no bay free at {shop.dc} within {problem.horizon_days} days",
        )
    else:
        solver_plan = plan("service in the CP-SAT slot", slot.day, others)
    if slot.day == 0:
        return [solver_plan, defer]
    today_plan = plan("service today", 0, [])
    if _full_today(problem, schedule, truck):
        today_plan = today_plan.model_copy(
            update={"feasible": False, "infeasible_reason": f"the {shop.dc} workshop is full today with riskier trucks"}
        )
    return [solver_plan, today_plan, defer]


def _defer_option(problem: ScheduleProblem, trucks: list[str]) -> PlanOption:
    """No visit: the failures the trucks are expected to have over the horizon, at the failure cost."""
    at_risk = {item.truck: item for item in problem.trucks}
    exposure = sum(at_risk[code].failure_within(problem.horizon_days) for code in trucks)
    return PlanOption(
        name=DEFER,
        expected_penalty_usd=round(problem.failure_cost * exposure, 2),
        impact=Impact.model_validate({"expected_failures": round(exposure, 2)}),
    )


def _full_today(problem: ScheduleProblem, schedule: MaintenanceSchedule, truck: TruckAtRisk) -> bool:
    """Whether the trucks the schedule books today leave no bay or technician hours for `truck` today."""
    shop = problem.workshops[0]
    booked = [t for t, s in zip(problem.trucks, schedule.slots, strict=False) if s.day == 0]
    return (
        len(booked) >= shop.free_bays(0)
        or sum(t.service_hours for t in booked) + truck.service_hours > shop.technician_hours
    )


def _schedule_findings(
    schedule: MaintenanceSchedule, risk: FailureRisk, dc: str, service_date: str | None, plan_id: str
) -> list[Claim]:
    """What CP-SAT found for the truck among its DC's trucks at risk, and the safety flag of the critical band."""
    code = risk.truck
    slot = next(s for s in schedule.slots if s.truck == code)
    others = [s.truck for s in schedule.slots if s.truck != code]
    competing = f" alongside {', '.join(others)}" if others else ""
    if slot.day is None:
        text = f"CP-SAT finds no free bay for {code} at {dc} within the horizon{competing}."
    else:
        text = f"CP-SAT books {code} into bay {slot.bay} at {dc} on day {slot.day} ({service_date}){competing}."
    claims = [Claim(text=text, evidence_ids=[schedule.evidence.id, plan_id])]
    if risk.p_fail >= CRITICAL_FROM:
        claims.append(
            Claim(
                text=f"P(fail) {pct(risk.p_fail)} is at or above {format_number(CRITICAL_FROM)}: "
                f"{PROCEDURE} takes {code} out of service; the work order is safety-critical.",
                evidence_ids=[risk.evidence.id, plan_id],
            )
        )
    return claims
