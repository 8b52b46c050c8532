"""Day-by-day simulation on a fresh twin: the desk, a fixed playbook (`rules`) or no action (`none`), with daily KPIs."""

import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Literal

from langgraph.checkpoint.memory import InMemorySaver
from pydantic import BaseModel, Field
from sqlalchemy import func
from sqlmodel import Session, select

from agents import detectors
from agents.llm import make_chat_model
from agents.modelbook import load_all
from agents.outcomes import record_outcomes
from agents.policy import ensure_defaults
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
from graph.desk import DecisionConflict, Desk
from graph.records import audit, save_decision
from graph.state import Verdict
from tools import costs
from tools.costs import KM_PER_MILE, Rates
from tools.knowledge import KnowledgeBase, open_client
from twin import models as m
from twin import seed as scenario
from twin import store
from twin.actions import (
    ExpeditePurchase,
    ExpeditePurchaseParams,
    ExpediteShipment,
    ExpediteShipmentParams,
    ScheduleMaintenance,
    ScheduleMaintenanceParams,
    parse_action,
    references,
)
from twin.commands import execute_action
from twin.days import DayReport, TwinDays
from twin.db import make_engine, migrate
from twin.settings import Settings

Policy = Literal["desk", "none", "rules"]
POLICIES: tuple[Policy, ...] = ("desk", "rules", "none")
RULES_SERVICE_MILES = 9000.0  # the playbook services a truck at this many miles since its last service
RULES_ORDER_UP_TO = 2.0  # the playbook reorders up to twice the reorder point
PLANNER_ROUNDS = 3
RATES = Rates.of([])  # the documented default rates the seeded twin of a simulation holds


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
    downtime_hours: float
    freight_usd: float
    action_usd: float
    late_penalty_usd: float
    lost_margin_usd: float
    breakdown_usd: float
    cost_usd: float = Field(
        description="total logistics cost: freight, actions, late penalties, lost margin, breakdowns"
    )
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


class SimulationRun(BaseModel):
    """A whole run: the days' KPIs, the totals, the exactly-once check and the wall time."""

    seed: int
    policy: Policy
    planner: Planner
    days: list[DayKpis]
    totals: dict[str, float]
    repeats: Repeats
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


def run_desk(desk: Desk, planner: Planner, report: DayReport) -> int:
    """Detectors and the day's announcements through the desk; the planner answers every decision that waits
    (again for a fresh decision a verdict may lead to, up to a few rounds)."""
    handled = desk.detect() + [(e, desk.submit(e, actor="tms")) for e in capacity_exceptions(report)]
    for _round in range(PLANNER_ROUNDS):
        with desk.toolbox.session() as session:
            waiting = session.exec(
                select(m.DecisionRecord)
                .where(m.DecisionRecord.status == "pending_approval")
                .order_by(m.DecisionRecord.id)
            ).all()
        if not waiting:
            break
        for record in waiting:
            try:
                desk.resume(record.id, planner.verdict(Decision.model_validate(record.payload)))
            except DecisionConflict:
                continue  # answered meanwhile
    return len(handled)


class Playbook:
    """The fixed rules a team runs without the desk: expedite high late risk, reorder at the reorder point,
    service at a fixed mileage. Each rule acts once per subject."""

    def __init__(self, tb: Toolbox) -> None:
        self.tb = tb
        self.count = 0

    def run(self, report: DayReport) -> int:
        """Apply every rule to the twin as it stands; returns how many rule decisions were executed."""
        with self.tb.session() as session:
            acted = {
                (record.type, _subject(parse_action(record.type, record.params)))
                for record in session.exec(select(m.ActionRecord).where(m.ActionRecord.status == "executed")).all()
            }
        plays = self._expedites() + self._reorders() + self._services()
        fresh = [
            (kind, refs, action, cost)
            for kind, refs, action, cost in plays
            if (action.type, _subject(action)) not in acted
        ]
        for kind, refs, action, cost in fresh:
            self._execute(kind, refs, action, cost)
        return len(fresh)

    def _expedites(self) -> list[tuple[ExceptionType, Refs, Action, float]]:
        """Expedite every shipment the late-risk detector flags."""
        plays = []
        with self.tb.session() as session:
            for exception in detectors.late_shipments(self.tb):
                shipment = session.get(m.Shipment, exception.refs.shipment_id)
                local = shipment.lane[:3] == shipment.lane[4:]
                hours = round(
                    scenario.planned_transit_hours(shipment.distance_miles, local)
                    * RATES["expedite_hours_saved_share"],
                    1,
                )
                cost = costs.expedite_shipment(RATES, shipment.distance_miles)
                action = ExpediteShipment(
                    params=ExpediteShipmentParams(shipment_id=shipment.id, hours_saved=hours, cost_usd=cost)
                )
                plays.append((ExceptionType.late_shipment, exception.refs, action, cost))
        return plays

    def _reorders(self) -> list[tuple[ExceptionType, Refs, Action, float]]:
        """Reorder up to twice the reorder point where available stock is at or below it, and nothing is inbound."""
        plays = []
        with self.tb.session() as session:
            for p in session.exec(
                select(m.InventoryPosition).order_by(m.InventoryPosition.sku, m.InventoryPosition.location)
            ).all():
                available = p.on_hand + p.in_transit - p.allocated
                if available > p.reorder_point or p.in_transit > 0:
                    continue
                qty = max(1, round(RULES_ORDER_UP_TO * p.reorder_point - available))
                cost = RATES["handling_usd_per_unit"] * qty
                action = ExpeditePurchase(
                    params=ExpeditePurchaseParams(
                        sku=p.sku, location=p.location, qty=qty, lead_days=scenario.REPLENISH_DAYS, cost_usd=cost
                    )
                )
                plays.append((ExceptionType.stockout_risk, Refs(sku=p.sku, location=p.location), action, cost))
        return plays

    def _services(self) -> list[tuple[ExceptionType, Refs, Action, float]]:
        """Book a service today for every running truck past the mileage with no open work order."""
        plays = []
        with self.tb.session() as session:
            latest = dict(
                session.exec(
                    select(m.TelemetryReading.truck, func.max(m.TelemetryReading.at)).group_by(m.TelemetryReading.truck)
                ).all()
            )
            for truck in store.fleet(session):
                reading = session.exec(
                    select(m.TelemetryReading).where(
                        m.TelemetryReading.truck == truck.code, m.TelemetryReading.at == latest.get(truck.code)
                    )
                ).first()
                if (
                    truck.status != "active"
                    or reading is None
                    or reading.miles_since_service < RULES_SERVICE_MILES
                    or store.open_work_orders(session, truck.code)
                ):
                    continue
                action = ScheduleMaintenance(
                    params=ScheduleMaintenanceParams(truck=truck.code, dc=truck.home_dc, day=0, kind="preventive")
                )
                plays.append((ExceptionType.equipment_failure_risk, Refs(asset_id=truck.code), action, 0.0))
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
    """What an action acts on: its shipment, truck, carrier, or SKU and destination DC."""
    named = references(action)
    if named.shipments or named.trucks or named.carriers:
        return ",".join(named.shipments or named.trucks or named.carriers)
    return ",".join(f"{sku}@{dc}" for sku, dc in named.positions[-1:]) or ",".join(named.scopes)


# --- measuring --------------------------------------------------------------------------------------------------


def day_kpis(session: Session, report: DayReport, exceptions: int, executed_before: set[str]) -> DayKpis:
    """Price the day and count what it did: deliveries, stockouts, downtime, costs, decisions and outcomes."""
    rates = {(o.carrier, o.lane): o.rate_per_mile for o in session.exec(select(m.CarrierLane)).all()}
    freight = 0.0
    for shipment_id in report.shipped:
        shipment = session.get(m.Shipment, shipment_id)
        rate = rates.get((shipment.carrier, shipment.lane), (RATES["own_fleet_usd_per_km"] * KM_PER_MILE))
        freight += rate * shipment.distance_miles
    penalty = sum(
        costs.late_penalty(RATES, store.customer_tier(session, session.get(m.Shipment, s).destination))
        for s in report.delivered_late
    )
    skus = {sku.code: sku for sku in session.exec(select(m.Sku)).all()}
    lost = sum(
        units * (skus[key.split("@")[0]].unit_price - skus[key.split("@")[0]].unit_cost)
        for key, units in report.unmet_units.items()
    )
    records = session.exec(select(m.DecisionRecord)).all()
    acted = [r for r in records if r.status in ("executed", "overridden")]
    actions = sum(
        Decision.model_validate(r.payload).expected_impact.cost_usd for r in acted if r.id not in executed_before
    )
    executed_before.update(r.id for r in acted)
    outcomes = Counter(o.status if (o := Decision.model_validate(r.payload).outcome) else "unchecked" for r in acted)
    breakdowns = len(report.failures) * (RATES["breakdown_tow_usd"] + RATES["breakdown_premium_usd"])
    return DayKpis(
        day=report.day,
        on_time=len(report.delivered_on_time),
        late=len(report.delivered_late),
        stockout_days=len(report.stockouts),
        downtime_hours=report.downtime_hours,
        freight_usd=round(freight, 2),
        action_usd=round(actions, 2),
        late_penalty_usd=round(penalty, 2),
        lost_margin_usd=round(lost, 2),
        breakdown_usd=breakdowns,
        cost_usd=round(freight + actions + penalty + lost + breakdowns, 2),
        exceptions=exceptions,
        decisions=dict(sorted(Counter(r.status for r in records).items())),
        outcomes=dict(sorted(outcomes.items())),
    )


def repeats(session: Session) -> Repeats:
    """Check that no action ran twice and no exception, or subject, was decided twice."""
    runs = Counter(
        event.detail.get("action_id")
        for event in session.exec(select(m.AuditEvent).where(m.AuditEvent.kind == "action.executed")).all()
    )
    per_exception = Counter(session.exec(select(m.DecisionRecord.exception_id)).all())
    subjects: dict[tuple[str, str], set[str]] = {}
    for action in session.exec(select(m.ActionRecord).where(m.ActionRecord.status == "executed")).all():
        typed = parse_action(action.type, action.params)
        subjects.setdefault((action.type, _subject(typed)), set()).add(action.decision_id)
    return Repeats(
        actions_run_twice=sorted(str(a) for a, n in runs.items() if n > 1),
        exceptions_decided_twice=sorted(e for e, n in per_exception.items() if n > 1),
        subjects_acted_on_twice=sorted(
            f"{kind} {subject} ({', '.join(sorted(ids))})" for (kind, subject), ids in subjects.items() if len(ids) > 1
        ),
    )


def totals(days: list[DayKpis]) -> dict[str, float]:
    """The run's sums of the daily KPIs."""
    fields = (
        "on_time",
        "late",
        "stockout_days",
        "downtime_hours",
        "freight_usd",
        "action_usd",
        "late_penalty_usd",
        "lost_margin_usd",
        "breakdown_usd",
        "cost_usd",
        "exceptions",
    )
    summed = {name: round(sum(getattr(day, name) for day in days), 2) for name in fields}
    delivered = summed["on_time"] + summed["late"]
    summed["on_time_rate"] = round(summed["on_time"] / delivered, 4) if delivered else 0.0
    return summed


# --- the run ----------------------------------------------------------------------------------------------------


@contextmanager
def sandbox_toolbox(settings: Settings, folder: Path) -> Iterator[Toolbox]:
    """A toolbox on a private SQLite twin and knowledge base in a folder, with the trained models of the settings."""
    engine = make_engine(f"sqlite:///{folder / 'twin.db'}")
    migrate(engine)
    knowledge = KnowledgeBase(open_client(Settings(data_dir=folder)))
    knowledge.index_procedures()
    sandbox = Settings(
        database_url=f"sqlite:///{folder / 'twin.db'}",
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


def simulate(
    settings: Settings,
    policy: Policy,
    days: int,
    seed: int,
    planner: Planner,
    on_day: Callable[[DayKpis], None] = lambda _kpis: None,
) -> SimulationRun:
    """Run a policy for a number of days on a fresh twin of the seed, in a private folder; the user's twin is
    untouched."""
    started = time.perf_counter()
    stepper, rows = TwinDays.generate(seed)
    with tempfile.TemporaryDirectory(prefix="ym-simulate-") as folder, sandbox_toolbox(settings, Path(folder)) as tb:
        scenario.load(tb.engine, rows)
        with tb.session() as session:
            ensure_defaults(session)
            session.commit()
        desk = Desk(tb, InMemorySaver()) if policy == "desk" else None
        playbook = Playbook(tb) if policy == "rules" else None
        executed: set[str] = set()
        kpis = []
        for _ in range(days):
            with tb.session() as session:
                report = stepper.step(session)
            exceptions = 0
            if desk is not None:
                exceptions = run_desk(desk, planner, report)
            elif playbook is not None:
                exceptions = playbook.run(report)
            if policy != "none":
                record_outcomes(tb)
            with tb.session() as session:
                kpis.append(day_kpis(session, report, exceptions, executed))
            on_day(kpis[-1])
        with tb.session() as session:
            checked = repeats(session)
    return SimulationRun(
        seed=seed,
        policy=policy,
        planner=planner,
        days=kpis,
        totals=totals(kpis),
        repeats=checked,
        wall_seconds=round(time.perf_counter() - started, 1),
    )
