"""Day-by-day simulation on a fresh twin: the desk, a fixed playbook (`rules`) or no action (`none`), with daily KPIs."""

import hashlib
import json
import math
import sqlite3
import statistics
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Literal

import numpy as np
from langgraph.checkpoint.memory import InMemorySaver
from pydantic import BaseModel, Field
from pydantic_core import to_jsonable_python
from scipy.stats import t as student_t
from sqlalchemy import func
from sqlmodel import Session, col, select

from agents import attribution as attributing
from agents import capacity, detectors, maintenance
from agents.llm import make_chat_model
from agents.modelbook import load_all
from agents.outcomes import record_outcomes
from agents.policy import CohortLevel, ensure_defaults, save_rule
from agents.schemas import (
    SPECIALIST_FOR,
    Action,
    Decision,
    ExceptionIn,
    ExceptionType,
    Impact,
    Refs,
)
from agents.toolbox import Toolbox
from agents.twin_facts import rates
from graph.checkpoint import serializer
from graph.desk import DecisionConflict, Desk
from graph.records import audit, save_decision
from graph.state import Verdict
from simulation.twins import DATABASE, SeededTwins
from tools import costs
from tools.knowledge import KnowledgeBase, open_client
from twin import kpis, store
from twin import models as m
from twin import seed as scenario
from twin.actions import (
    STOCK_ACTIONS,
    ExpediteShipment,
    ExpediteShipmentParams,
    LowerAutonomy,
    PlanTenders,
    RecommendRetraining,
    RetenderLoads,
    RollbackModel,
    ScheduleMaintenance,
    ScheduleMaintenanceParams,
    parse_action,
    references,
)
from twin.commands import execute_action
from twin.days import DayReport, TwinDays
from twin.db import make_engine
from twin.settings import Settings
from twin.tradeoff import TradeOffScope

Policy = Literal["desk", "reactive", "none", "rules"]  # reactive: the desk on exceptions only, without its plans
POLICIES: tuple[Policy, ...] = ("desk", "reactive", "rules", "none")
RULES_SERVICE_MILES = 9000.0  # the playbook services a truck at this many miles since its last service
PLANNER_ROUNDS = 3
ACTED = ("executed", "overridden")
PLAN_WEEK_EVERY_DAYS = 7  # the desk plans the workshops on the first measured day and every week after


class Planner(BaseModel):
    """The scripted planner: approves what waits, or rejects decisions costing more than a bound."""

    reject_above_usd: float | None = None

    def verdict(self, decision: Decision) -> Verdict:
        """Approve, or reject a decision over the cost bound."""
        cost = decision.expected_impact.cost_usd
        if self.reject_above_usd is not None and cost > self.reject_above_usd:
            return Verdict(
                verdict="reject",
                actor="scripted-planner",
                reason=f"costs {cost:,.2f} USD, above {self.reject_above_usd:,.2f} USD",
            )
        return Verdict(verdict="approve", actor="scripted-planner", reason="approved by the scripted planner")


class DayKpis(BaseModel):
    """The KPIs of one simulated day."""

    day: date
    on_time: int
    late: int
    stockout_days: int = Field(description="SKU-DC positions that could not serve all of the day's demand")
    downtime_hours: float = Field(description="trucks off the road: planned services and breakdowns")
    unplanned_downtime_hours: float = Field(default=0.0, description="trucks broken down (planned services excluded)")
    shipped: int = Field(default=0, description="shipments that left")
    freight_usd: float
    co2_kg: float = Field(default=0.0, description="carriers' CO2 of the shipments that left (own trucks not counted)")
    action_usd: float = Field(description="executed actions at the price the cost model gave them")
    replenishment_usd: float = Field(description="normal replenishment orders: handling and holding")
    late_penalty_usd: float = Field(description="late deliveries at the tier penalty, the notified share applied")
    lost_margin_usd: float = Field(description="unmet demand at the margin plus the stockout penalty per unit")
    breakdown_usd: float = Field(description="breakdowns: tow and corrective premium")
    downtime_usd: float = Field(description="deliveries a truck off the road cannot run, rebooked")
    cost_usd: float = Field(
        description="total logistics cost: freight, actions, replenishment, late penalties, lost margin, "
        "breakdowns and downtime"
    )
    spend_by_action: dict[str, float] = Field(default_factory=dict, description="action spend of the day by type")
    exceptions: int = Field(description="exceptions raised this day")
    decisions: dict[str, int] = Field(description="all decisions so far, by status")
    outcomes: dict[str, int] = Field(description="all executed decisions so far, by outcome")


class Repeats(BaseModel):
    """The exactly-once check of a run: actions run twice, and exceptions or subjects decided twice."""

    actions_run_twice: list[str] = Field(description="action ids with more than one execution audited")
    exceptions_decided_twice: list[str] = Field(description="exception ids with more than one decision")
    subjects_acted_on_twice: list[str] = Field(
        description="the same action type on the same subject executed by more than one decision"
    )

    @property
    def clean(self) -> bool:
        """Nothing ran or was decided twice."""
        return not (self.actions_run_twice or self.exceptions_decided_twice or self.subjects_acted_on_twice)


class ActionAttribution(BaseModel):
    """What one action type did in a run: how often it ran, what it cost, and the saving its decisions expected."""

    action_type: str
    count: int
    spend_usd: float
    expected_saving_usd: float = Field(
        description="no action's expected total less the chosen plan's, at decision time, shared among the plan's "
        "action types by cost"
    )
    domain: str = Field(description="the outcome it works on: stock, deliveries, fleet or carriers")
    realised_saving_usd: float | None = Field(
        default=None,
        description="the outcome cost of its domain avoided against `none` on the same seed, shared among the "
        "domain's action types by expected saving (by spend where none was expected); unset without a `none` run "
        "or for carriers, whose effect shows only in late deliveries",
    )


class Soundness(BaseModel):
    """Every decision of a run checked against invariants it must hold, judged by code apart from the desk."""

    decisions: int
    violations: list[str] = Field(description="each broken invariant, with its decision")


Check = Callable[[Decision, datetime], list[str]]  # the invariants a decision breaks, given the twin's time of it


class SimulationRun(BaseModel):
    """A whole run: the days' KPIs, the totals, the attribution by action type, the exactly-once check and the wall
    time."""

    seed: int
    policy: Policy
    planner: Planner
    cohorts: list[CohortLevel] = Field(
        default_factory=list, description="levels set per cohort for every action type, over the default rules"
    )
    tradeoffs: list[TradeOffScope] = Field(
        default_factory=list, description="the architect's trade-offs put in force before the first day"
    )
    shadowed: int = Field(default=0, description="decisions recorded in shadow: what the desk would have done")
    days: list[DayKpis]
    totals: dict[str, float]
    attribution: list[ActionAttribution] = Field(default_factory=list)
    effects: attributing.AttributionReport | None = Field(
        default=None,
        description="with cohorts, the desk's runs: per trigger and action type, the KPI effects over the measured "
        "days with 95% intervals against the shadow cohort and the baseline before the run",
    )
    repeats: Repeats
    soundness: Soundness | None = None
    decisions_digest: str = Field(
        default="", description="SHA-256 of every decision in the order made: equal for runs with equal arguments"
    )
    wall_seconds: float


# --- running a policy for a day ----------------------------------------------------------------------------------


def capacity_exceptions(report: DayReport) -> list[ExceptionIn]:
    """The carriers' shortfall announcements of the day, as the TMS would report them."""
    return [
        ExceptionIn(
            type=ExceptionType.carrier_capacity,
            refs=Refs(carrier=miss.carrier),
            source="tms",
            external_id=f"tms:capacity:{miss.carrier}:{report.day.isoformat()}",
            description=f"{miss.carrier} loses {miss.cut_pct:g}% of its capacity next week",
        )
        for miss in report.capacity_misses
    ]


PLAN_NAMES = {
    ExceptionType.tender_plan: "tenders",
    ExceptionType.maintenance_plan: "maintenance",
    ExceptionType.positioning_plan: "positioning",
}


def plan_exception(kind: ExceptionType, day: date) -> ExceptionIn:
    """A scheduled plan from `day` (the day's tenders or positioning, the week's workshop plan), as the desk's
    planner raises it."""
    return ExceptionIn(
        type=kind,
        refs=Refs(day=day.isoformat()),
        source="planner",
        external_id=f"planner:{PLAN_NAMES[kind]}:{day.isoformat()}",
    )


def run_desk(desk: Desk, planner: Planner, report: DayReport | None, plans: bool, week_starts: bool = False) -> int:
    """The day's plans (with `plans`: the week's workshop plan when `week_starts` and the tender plan), detectors and
    yesterday's announcements through the desk, the planner answering every decision that waits; then (with
    `plans`) the positioning plan on the stock those decisions left, answered the same way."""
    announced = capacity_exceptions(report) if report else []
    today = desk.toolbox.now().date()
    scheduled = []
    if plans:
        scheduled = [plan_exception(ExceptionType.maintenance_plan, today)] if week_starts else []
        scheduled.append(plan_exception(ExceptionType.tender_plan, today))
    planned = [(e, desk.submit(e, actor=e.source)) for e in scheduled]  # before the detectors: booked trucks are
    # not raised again one by one
    handled = planned + desk.detect() + [(e, desk.submit(e, actor=e.source)) for e in announced]
    _answer_waiting(desk, planner)
    if plans:  # after the day's stockout risks: a transfer in transit would hide a position a faster remedy needs
        positioning = plan_exception(ExceptionType.positioning_plan, today)
        handled.append((positioning, desk.submit(positioning, actor=positioning.source)))
        _answer_waiting(desk, planner)
    return len(handled)


def _answer_waiting(desk: Desk, planner: Planner) -> None:
    """The planner answers every decision that waits (again for a fresh decision a verdict may lead to, up to a few
    rounds)."""
    for _round in range(PLANNER_ROUNDS):
        with desk.toolbox.session() as session:
            waiting = session.exec(
                select(m.DecisionRecord)
                .where(col(m.DecisionRecord.status) == "pending_approval")
                .order_by(col(m.DecisionRecord.created_at), col(m.DecisionRecord.id))  # as made: ids are random
            ).all()
        if not waiting:
            break
        for record in waiting:
            try:
                desk.resume(record.id, planner.verdict(Decision.of(record)))
            except DecisionConflict:
                continue  # answered meanwhile


class Playbook:
    """The fixed rules a team runs without the desk, on top of the normal replenishment every policy runs: expedite
    high late risk, service at a fixed mileage and re-tender a carrier's loads when it announces a capacity cut, each
    priced by the cost model like the desk's actions. The expedite and service rules act once per subject; a
    re-tender answers each announcement."""

    def __init__(self, tb: Toolbox) -> None:
        self.tb = tb
        self.count = 0

    def run(self, report: DayReport | None) -> int:
        """Apply every rule to the twin as it stands; returns how many rule decisions were executed."""
        with self.tb.session() as session:
            acted = {
                (record.type, _subject(parse_action(record.type, record.params)))
                for record in session.exec(select(m.ActionRecord).where(col(m.ActionRecord.status) == "executed")).all()
            }
        plays = self._expedites() + self._services()
        fresh = [
            (kind, refs, action, cost)
            for kind, refs, action, cost in plays
            if (action.type, _subject(action)) not in acted
        ] + self._retenders(report)
        for kind, refs, action, cost in fresh:
            self._execute(kind, refs, action, cost)
        return len(fresh)

    def _expedites(self) -> list[tuple[ExceptionType, Refs, Action, float]]:
        """Expedite a shipment the late-risk detector flags when its customer's late penalty exceeds the expedite's
        price (a competent team does not pay more than the penalty it avoids)."""
        plays = []
        with self.tb.session() as session:
            price = rates(session)
            for exception in detectors.late_shipments(self.tb):
                shipment = session.get(m.Shipment, exception.refs.shipment_id)
                if shipment is None:
                    continue
                tier = store.customer_tier(session, shipment.destination)
                cost = costs.expedite_shipment(price, shipment.distance_miles)
                if costs.late_penalty(price, tier) <= cost:
                    continue
                local = shipment.lane[:3] == shipment.lane[4:]
                hours = round(
                    scenario.planned_transit_hours(shipment.distance_miles, local)
                    * price["expedite_hours_saved_share"],
                    1,
                )
                action = ExpediteShipment(
                    params=ExpediteShipmentParams(shipment_id=shipment.id, hours_saved=hours, cost_usd=cost)
                )
                plays.append((ExceptionType.late_shipment, exception.refs, action, cost))
        return plays

    def _retenders(self, report: DayReport | None) -> list[tuple[ExceptionType, Refs, Action, float]]:
        """Re-tender the loads of every carrier that announced a capacity cut yesterday to the lane's contract
        carriers, as the routing tool assigns them, whatever the spot market or holding would cost."""
        plays = []
        for miss in report.capacity_misses if report else []:
            refs = Refs(carrier=miss.carrier)
            proposal = capacity.carrier_capacity(self.tb, refs, miss.cut_pct)
            options = [proposal.actions, *(alternative.actions for alternative in proposal.alternatives)]
            for action in (action for actions in options for action in actions):
                if isinstance(action, RetenderLoads) and action.params.assignments:
                    plays.append((ExceptionType.carrier_capacity, refs, action, action.params.cost_usd or 0.0))
        return plays

    def _services(self) -> list[tuple[ExceptionType, Refs, Action, float]]:
        """Book a service today for every running truck past the mileage with no open work order."""
        plays = []
        with self.tb.session() as session:
            latest = dict(
                session.exec(
                    select(col(m.TelemetryReading.truck), func.max(col(m.TelemetryReading.at))).group_by(
                        col(m.TelemetryReading.truck)
                    )
                ).all()
            )
            for truck in store.fleet(session):
                reading = session.exec(
                    select(m.TelemetryReading).where(
                        col(m.TelemetryReading.truck) == truck.code,
                        col(m.TelemetryReading.at) == latest.get(truck.code),
                    )
                ).first()
                if (
                    truck.status != "active"
                    or reading is None
                    or reading.miles_since_service < RULES_SERVICE_MILES
                    or truck.last_service_at.replace(tzinfo=None) >= reading.at.replace(tzinfo=None)  # stale reading
                    or store.open_work_orders(session, truck.code)
                ):
                    continue
                cost = costs.workshop_visit(rates(session), "routine", maintenance.service_hours(0.0))
                action = ScheduleMaintenance(
                    params=ScheduleMaintenanceParams(
                        truck=truck.code, dc=truck.home_dc, day=0, kind="preventive", service="routine", cost_usd=cost
                    )
                )
                plays.append((ExceptionType.equipment_failure_risk, Refs(asset_id=truck.code), action, cost))
        return plays

    def _execute(self, kind: ExceptionType, refs: Refs, action: Action, cost: float) -> None:
        """Record the rule's exception and executed decision, and carry the action out on the twin."""
        self.count += 1
        exception_id, decision_id = f"EXC-RULE-{self.count:05d}", f"DEC-RULE-{self.count:05d}"
        now = self.tb.now()
        decision = Decision(
            decision_id=decision_id,
            exception_id=exception_id,
            specialist=SPECIALIST_FOR[kind],
            status="executed",
            actions=[action],
            expected_impact=Impact(cost_usd=round(cost, 2)),
            confidence=1.0,
            trace_id=exception_id,
        )
        with self.tb.session() as session:
            session.add(
                m.ExceptionRecord(
                    id=exception_id,
                    type=kind.value,
                    refs=refs.present(),
                    source="rules",
                    occurred_at=now,
                    created_at=now,
                    actor="rules",
                )
            )
            session.flush()
            save_decision(session, decision, exception_id)
            execute_action(session, decision_id, 0, action, "rules")
            audit(session, "decision.final", "rules", exception_id, decision_id, status="executed")
            session.commit()


def _subject(action: Action) -> str:
    """What an action acts on: its shipment, truck, carrier, SKU and destination DC, or model."""
    if isinstance(action, RecommendRetraining | RollbackModel | LowerAutonomy):
        return action.params.model
    named = references(action)
    if named.shipments or named.trucks or named.carriers:
        return ",".join(named.shipments or named.trucks or named.carriers)
    return ",".join(f"{sku}@{dc}" for sku, dc in named.positions[-1:]) or ",".join(named.scopes)


# --- measuring --------------------------------------------------------------------------------------------------


def charged_usd(action: Action) -> float:
    """What an executed action is charged: its price, except a tender plan's, whose freight each shipment pays."""
    return 0.0 if isinstance(action, PlanTenders) else action.params.cost_usd or 0.0


def day_kpis(session: Session, report: DayReport, exceptions: int, charged: set[str]) -> DayKpis:
    """Price the day with the cost model and the twin's rates, the same way under every policy: deliveries,
    stockouts, downtime, actions executed since the last count, decisions and outcomes."""
    price = rates(session)
    lanes = {(o.carrier, o.lane): o.rate_per_mile for o in session.exec(select(m.CarrierLane)).all()}
    emits = {carrier.code: carrier.co2_kg_per_mile for carrier in session.exec(select(m.Carrier)).all()}
    freight = co2 = 0.0
    for shipment_id in report.shipped:
        shipment = store.row(session, m.Shipment, shipment_id)
        rate = lanes.get((shipment.carrier, shipment.lane)) if shipment.carrier else None
        freight += kpis.freight_usd(rate, price["own_fleet_usd_per_km"], shipment.distance_miles)
        co2 += emits.get(shipment.carrier or "", 0.0) * shipment.distance_miles
    penalty = 0.0
    for shipment_id in report.delivered_late:
        shipment = store.row(session, m.Shipment, shipment_id)
        told = session.exec(
            select(col(m.CustomerNotification.id)).where(col(m.CustomerNotification.shipment_id) == shipment_id)
        ).first()
        tier = store.customer_tier(session, shipment.destination)
        penalty += costs.expected_late_penalty(price, 1.0, tier, notified=told is not None)
    skus = {sku.code: sku for sku in session.exec(select(m.Sku)).all()}
    lost = sum(
        costs.stockout(price, units, skus[key.split("@")[0]].unit_price - skus[key.split("@")[0]].unit_cost)
        for key, units in report.unmet_units.items()
    )
    spend: defaultdict[str, float] = defaultdict(float)
    for record in session.exec(select(m.ActionRecord).where(col(m.ActionRecord.status) == "executed")).all():
        if record.id not in charged:
            charged.add(record.id)
            spend[record.type] += charged_usd(parse_action(record.type, record.params))
    records = session.exec(select(m.DecisionRecord)).all()
    acted = [r for r in records if r.status in ("executed", "overridden")]
    outcomes = Counter(o.status if (o := Decision.of(r).outcome) else "unchecked" for r in acted)
    breakdowns = len(report.failures) * (price["breakdown_tow_usd"] + price["breakdown_premium_usd"])
    downtime = costs.lost_deliveries(price, report.downtime_hours / 24 * store.latest_route_load(session)[1])
    actions = sum(spend.values())
    return DayKpis(
        day=report.day,
        on_time=len(report.delivered_on_time),
        late=len(report.delivered_late),
        stockout_days=len(report.stockouts),
        downtime_hours=report.downtime_hours,
        unplanned_downtime_hours=report.unplanned_downtime_hours,
        shipped=len(report.shipped),
        freight_usd=round(freight, 2),
        co2_kg=round(co2, 1),
        action_usd=round(actions, 2),
        replenishment_usd=round(report.replenishment_usd, 2),
        late_penalty_usd=round(penalty, 2),
        lost_margin_usd=round(lost, 2),
        breakdown_usd=breakdowns,
        downtime_usd=downtime,
        cost_usd=round(freight + actions + report.replenishment_usd + penalty + lost + breakdowns + downtime, 2),
        spend_by_action={kind: round(usd, 2) for kind, usd in sorted(spend.items())},
        exceptions=exceptions,
        decisions=dict(sorted(Counter(r.status for r in records).items())),
        outcomes=dict(sorted(outcomes.items())),
    )


DOMAINS = {
    "stock": STOCK_ACTIONS,
    "deliveries": ("expedite_shipment", "notify_customer", "switch_carrier", "plan_tenders"),
    "fleet": ("schedule_maintenance", "replan_route", "tender_stops"),
    "carriers": ("retender_loads", "book_spot"),
}
DOMAIN_OF = {kind: domain for domain, kinds in DOMAINS.items() for kind in kinds}
OUTCOME_COSTS = {
    "stock": ("lost_margin_usd",),
    "deliveries": ("freight_usd", "late_penalty_usd"),
    "fleet": ("breakdown_usd", "downtime_usd"),
}  # the costs each domain's actions mean to avoid


def attribution(session: Session, policy: Policy) -> list[ActionAttribution]:
    """Count, spend and expected saving of each action type executed in the run."""
    count: Counter[str] = Counter()
    spend: defaultdict[str, float] = defaultdict(float)
    expected: defaultdict[str, float] = defaultdict(float)
    for record in session.exec(select(m.DecisionRecord).where(col(m.DecisionRecord.status).in_(ACTED))).all():
        decision = Decision.of(record)
        for action in decision.actions:
            count[action.type] += 1
            spend[action.type] += charged_usd(action)
        saving = _expected_saving(decision)
        cost = decision.expected_impact.cost_usd or 0.0
        for action in decision.actions:
            share = (action.params.cost_usd or 0.0) / cost if cost else 1 / len(decision.actions)
            expected[action.type] += saving * share
    return [
        ActionAttribution(
            action_type=kind,
            count=count[kind],
            spend_usd=round(spend[kind], 2),
            expected_saving_usd=round(expected[kind], 2),
            domain=DOMAIN_OF.get(kind, "other"),
        )
        for kind in sorted(count)
    ]


def _expected_saving(decision: Decision) -> float:
    """No action's expected total less the chosen plan's, as the decision priced them (0 when it weighed no
    inaction)."""
    idle = next((alt for alt in decision.alternatives if alt.name == "no action"), None)
    if idle is None or idle.expected_impact.expected_total_usd is None:
        return 0.0
    return idle.expected_impact.expected_total_usd - (decision.expected_impact.expected_total_usd or 0.0)


def decisions_digest(session: Session) -> str:
    """A SHA-256 over every decision in the order made (exception type and subject, status, confidence, actions and
    expected impact; no random ids): two runs with the same arguments give the same digest."""
    rows = session.exec(
        select(m.DecisionRecord, m.ExceptionRecord)
        .join(m.ExceptionRecord, col(m.ExceptionRecord.id) == col(m.DecisionRecord.exception_id))
        .order_by(col(m.DecisionRecord.created_at), col(m.DecisionRecord.id))
    ).all()
    digest = hashlib.sha256()
    for record, exception in rows:
        decision = Decision.of(record)
        made = [exception.type, exception.subject, record.twin_at, decision.status, decision.confidence]
        body = {"made": made, "actions": decision.actions, "impact": decision.expected_impact}
        digest.update(json.dumps(to_jsonable_python(body), sort_keys=True, default=str).encode())
    return digest.hexdigest()


def repeats(session: Session) -> Repeats:
    """Check that no action ran twice and no exception, or subject, was decided twice."""
    runs = Counter(
        event.detail.get("action_id")
        for event in session.exec(select(m.AuditEvent).where(col(m.AuditEvent.kind) == "action.executed")).all()
    )
    per_exception = Counter(session.exec(select(col(m.DecisionRecord.exception_id))).all())
    subjects: dict[tuple[str, str], set[str]] = {}
    executed = session.exec(
        select(m.ActionRecord, col(m.ExceptionRecord.occurred_at))
        .join(m.DecisionRecord, col(m.DecisionRecord.id) == col(m.ActionRecord.decision_id))
        .join(m.ExceptionRecord, col(m.ExceptionRecord.id) == col(m.DecisionRecord.exception_id))
        .where(col(m.ActionRecord.status) == "executed")
    ).all()
    for action, occurred in executed:  # the same action on the same subject again on a later day is a new decision
        subject = f"{_subject(parse_action(action.type, action.params))} on {occurred.date().isoformat()}"
        subjects.setdefault((action.type, subject), set()).add(action.decision_id)
    return Repeats(
        actions_run_twice=sorted(str(a) for a, n in runs.items() if n > 1),
        exceptions_decided_twice=sorted(e for e, n in per_exception.items() if n > 1),
        subjects_acted_on_twice=sorted(
            f"{kind} {subject} ({', '.join(sorted(ids))})" for (kind, subject), ids in subjects.items() if len(ids) > 1
        ),
    )


def soundness(session: Session, check: Check) -> Soundness:
    """Check every decision of the run, at the twin's time of its exception."""
    rows = session.exec(
        select(m.DecisionRecord, col(m.ExceptionRecord.occurred_at)).join(
            m.ExceptionRecord, col(m.ExceptionRecord.id) == col(m.DecisionRecord.exception_id)
        )
    ).all()
    problems = []
    for record, occurred in rows:
        moment = occurred if occurred.tzinfo else occurred.replace(tzinfo=UTC)
        problems += [f"{record.id}: {problem}" for problem in check(Decision.of(record), moment)]
    return Soundness(decisions=len(rows), violations=problems)


def totals(days: list[DayKpis]) -> dict[str, float]:
    """The run's sums of the daily KPIs."""
    fields = (
        "on_time",
        "late",
        "stockout_days",
        "downtime_hours",
        "unplanned_downtime_hours",
        "shipped",
        "freight_usd",
        "co2_kg",
        "action_usd",
        "replenishment_usd",
        "late_penalty_usd",
        "lost_margin_usd",
        "breakdown_usd",
        "downtime_usd",
        "cost_usd",
        "exceptions",
    )
    summed: dict[str, float] = {name: round(sum(getattr(day, name) for day in days), 2) for name in fields}
    delivered = summed["on_time"] + summed["late"]
    summed["on_time_rate"] = kpis.share(summed["on_time"], delivered) or 0.0
    summed["cost_per_shipment_usd"] = round(summed["cost_usd"] / summed["shipped"], 2) if summed["shipped"] else 0.0
    summed["co2_kg_per_shipment"] = round(summed["co2_kg"] / summed["shipped"], 1) if summed["shipped"] else 0.0
    return summed


# --- the run ----------------------------------------------------------------------------------------------------


@contextmanager
def sandbox_toolbox(settings: Settings, folder: Path) -> Iterator[Toolbox]:
    """A toolbox on the private SQLite twin and knowledge base copied into a folder, with the trained models of the
    settings."""
    engine = make_engine(f"sqlite:///{folder / DATABASE}")
    knowledge = KnowledgeBase(open_client(Settings(data_dir=folder)))
    sandbox = Settings(
        database_url=f"sqlite:///{folder / DATABASE}",
        data_dir=folder,
        llm=settings.llm,
        llm_model=settings.llm_model,
        llm_base_url=settings.llm_base_url,
        llm_api_key=settings.llm_api_key,
        routing_engine=settings.routing_engine,
    )
    try:
        yield Toolbox(
            engine=engine,
            models=load_all(settings.models_dir),
            knowledge=knowledge,
            llm=make_chat_model(sandbox),
            settings=sandbox,
        )
    finally:
        engine.dispose()


def _store_rules(tb: Toolbox, cohorts: list[CohortLevel], tradeoffs: list[TradeOffScope]) -> None:
    """The default policy rules, then the cohort levels asked over them, and the trade-offs asked."""
    with tb.session() as session:
        ensure_defaults(session)
        for rule in (rule for cohort in cohorts for rule in cohort.rules()):
            save_rule(session, rule, "simulation")
        for scope in tradeoffs:
            scope.put_in_force(session, "asked for the simulation", "simulation")
        session.commit()


def _act(
    desk: Desk | None,
    playbook: Playbook | None,
    planner: Planner,
    report: DayReport | None,
    policy: Policy,
    week_starts: bool,
) -> int:
    """The policy's acts on the twin as it stands before the day: the desk's (with its plans when the policy is
    `desk`), the rules' or none; the exceptions handled."""
    if desk is not None:
        return run_desk(desk, planner, report, plans=policy == "desk", week_starts=week_starts)
    if playbook is not None:
        return playbook.run(report)
    return 0


def _live_day(
    tb: Toolbox, stepper: TwinDays, policy: Policy, exceptions: int, charged: set[str]
) -> tuple[DayReport, DayKpis]:
    """The day happens on the twin; then, under a policy that decides, the outcomes due are recorded; the day's report
    and KPIs."""
    with tb.session() as session:
        report = stepper.step(session)
    if policy != "none":
        record_outcomes(tb)
    with tb.session() as session:
        return report, day_kpis(session, report, exceptions, charged)


def _run_days(
    tb: Toolbox,
    stepper: TwinDays,
    desk: Desk | None,
    playbook: Playbook | None,
    planner: Planner,
    policy: Policy,
    window: tuple[int, int, int],
    on_day: Callable[[DayKpis], None],
) -> list[DayKpis]:
    """Warm-up, measured and cool-down days (`window`): the policy acts before each day but the cool-down's, then the
    day happens; the measured days' KPIs, each also handed to `on_day`."""
    warmup, days, cooldown = window
    charged: set[str] = set()
    kpis: list[DayKpis] = []
    report: DayReport | None = None
    for index in range(warmup + days + cooldown):
        exceptions = 0
        if index < warmup + days:  # no decision in the cool-down: it could not pay back in the window
            exceptions = _act(desk, playbook, planner, report, policy, (index - warmup) % PLAN_WEEK_EVERY_DAYS == 0)
        report, day = _live_day(tb, stepper, policy, exceptions, charged)
        if index >= warmup:
            kpis.append(day)
            on_day(day)
    return kpis


def simulate(
    settings: Settings,
    policy: Policy,
    days: int,
    seed: int,
    planner: Planner,
    on_day: Callable[[DayKpis], None] = lambda _kpis: None,
    warmup: int = 0,
    cooldown: int = 0,
    check: Check | None = None,
    cohorts: list[CohortLevel] | None = None,
    keep_twin: Path | None = None,
    tradeoffs: list[TradeOffScope] | None = None,
    twins: SeededTwins | None = None,
) -> SimulationRun:
    """Run a policy on a fresh twin of the seed, in a private folder (the user's twin is untouched): each day the
    policy acts on the twin as it stands, then the day happens. Warm-up days run before the measured window, and
    cool-down days after it let earlier decisions play out with no new ones; every background task of the desk ends
    before the folder goes. Cohort levels (`DAL-*=act`, `*=shadow`) are stored over the default rules first, and the
    desk's effects are attributed over the measured days; the trade-offs asked are put in force before the first day.
    With `keep_twin`, the run's twin is copied there as `yardmaster.db` (a data directory the CLI reads with
    `YM_DATA_DIR`). The seed's twin is copied from `twins`, which keeps it for later runs (without, it is built for
    this run alone)."""
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="ym-simulate-") as folder:
        stepper = (twins or SeededTwins(Path(folder) / "seeded")).copy_into(seed, Path(folder))
        with sandbox_toolbox(settings, Path(folder)) as tb:
            _store_rules(tb, cohorts or [], tradeoffs or [])
            desk = (
                Desk(tb, InMemorySaver(serde=serializer()), indexing="inline")
                if policy in ("desk", "reactive")
                else None
            )
            playbook = Playbook(tb) if policy == "rules" else None
            try:
                kpis = _run_days(tb, stepper, desk, playbook, planner, policy, (warmup, days, cooldown), on_day)
                with tb.session() as session:
                    checked = repeats(session)
                    digest = decisions_digest(session)
                    ending = ending_stock_usd(session)
                    attributed = attribution(session, policy)
                    audited = soundness(session, check) if check and desk is not None else None
                    shadowed = store.count(session, m.DecisionRecord, col(m.DecisionRecord.status) == "shadowed")
                    effects = (
                        attributing.report(session, kpis[0].day, kpis[-1].day) if cohorts and desk is not None else None
                    )
            finally:
                if desk is not None:
                    desk.close()
        if keep_twin is not None:
            copy_twin(Path(folder) / DATABASE, keep_twin)
    return SimulationRun(
        seed=seed,
        policy=policy,
        planner=planner,
        cohorts=cohorts or [],
        tradeoffs=tradeoffs or [],
        shadowed=shadowed,
        days=kpis,
        totals={**totals(kpis), "ending_stock_usd": ending},
        attribution=attributed,
        effects=effects,
        repeats=checked,
        soundness=audited,
        decisions_digest=digest,
        wall_seconds=round(time.perf_counter() - started, 1),
    )


def copy_twin(database: Path, folder: Path) -> None:
    """Copy a run's SQLite twin into a data directory as `yardmaster.db` (SQLite's online backup)."""
    folder.mkdir(parents=True, exist_ok=True)
    with closing(sqlite3.connect(database)) as source, closing(sqlite3.connect(folder / "yardmaster.db")) as target:
        source.backup(target)


def ending_stock_usd(session: Session) -> float:
    """The stock left at the end at unit cost: goods keep their value, so only fees, premiums and holding count
    as cost."""
    skus = {sku.code: sku.unit_cost for sku in session.exec(select(m.Sku)).all()}
    positions = session.exec(select(m.InventoryPosition)).all()
    return round(sum(max(p.on_hand, 0) * skus[p.sku] for p in positions), 2)


# --- several seeds ----------------------------------------------------------------------------------------------


class Interval(BaseModel):
    """A mean over seeds with its 95% confidence interval (Student's t; a single seed has no spread)."""

    mean: float
    low: float
    high: float

    @classmethod
    def of(cls, values: list[float]) -> "Interval":
        """The mean and 95% interval of some values."""
        mean = statistics.fmean(values)
        if len(values) < 2:
            return cls(mean=round(mean, 4), low=round(mean, 4), high=round(mean, 4))
        half = np.float64(student_t.ppf(0.975, len(values) - 1)) * statistics.stdev(values) / math.sqrt(len(values))
        return cls(mean=round(mean, 4), low=round(mean - half, 4), high=round(mean + half, 4))


class Comparison(BaseModel):
    """Policies over several seeds: each total KPI per policy, and the desk less each baseline paired by seed."""

    seeds: list[int]
    kpis: dict[str, dict[str, Interval]] = Field(description="KPI, then policy: the mean over seeds")
    differences: dict[str, dict[str, Interval]] = Field(
        description="`desk - rules` or `desk - none`, then KPI: the paired difference over seeds"
    )


def compare(runs: list[SimulationRun]) -> Comparison:
    """The totals of runs of several policies and seeds, side by side with paired differences against the desk."""
    seeds = sorted({run.seed for run in runs})
    by = {(run.policy, run.seed): run.totals for run in runs}
    policies = [policy for policy in POLICIES if any(run.policy == policy for run in runs)]
    names = list(runs[0].totals)
    kpis = {
        name: {policy: Interval.of([by[(policy, seed)][name] for seed in seeds]) for policy in policies}
        for name in names
    }
    differences = {
        f"desk - {baseline}": {
            name: Interval.of([by[("desk", seed)][name] - by[(baseline, seed)][name] for seed in seeds])
            for name in names
        }
        for baseline in policies
        if baseline != "desk" and "desk" in policies
    }
    return Comparison(seeds=seeds, kpis=kpis, differences=differences)


def with_realised(runs: list[SimulationRun]) -> list[SimulationRun]:
    """The runs with each action type's realised saving: its domain's outcome cost avoided against `none` on the
    same seed, shared among the domain's action types by their expected saving (by spend where none was
    expected)."""
    idle = {run.seed: run.totals for run in runs if run.policy == "none"}
    return [run if run.seed not in idle else _realised(run, idle[run.seed]) for run in runs]


def _realised(run: SimulationRun, idle: dict[str, float]) -> SimulationRun:
    """One run's attribution with the realised savings against the totals of `none`."""
    rows = []
    for row in run.attribution:
        costs_avoided = OUTCOME_COSTS.get(row.domain)
        if costs_avoided is None:
            rows.append(row)
            continue
        avoided = sum(idle[name] - run.totals[name] for name in costs_avoided)
        peers = [peer for peer in run.attribution if peer.domain == row.domain]
        weight = "expected_saving_usd" if sum(peer.expected_saving_usd for peer in peers) > 0 else "spend_usd"
        total = sum(getattr(peer, weight) for peer in peers)
        share = getattr(row, weight) / total if total else 1 / len(peers)
        rows.append(row.model_copy(update={"realised_saving_usd": round(avoided * share, 2)}))
    return run.model_copy(update={"attribution": rows})
