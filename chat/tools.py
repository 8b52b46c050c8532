"""The chat's tools, built per conversation for the caller's role and named like the chat intents.

Every code a tool receives is checked against the twin first: an unknown one is reported back, never guessed.
"""

import contextvars
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import TypeVar, get_args

import pandas as pd
from langchain_core.tools import BaseTool, StructuredTool, ToolException
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlmodel import Session, col

from agents import maintenance
from agents.detectors import FAILURE_TRIGGER, LATE_TRIGGER
from agents.language.intent import canonical_code
from agents.modelbook import TWIN_FORECAST
from agents.schemas import (
    Action,
    Decision,
    DecisionStatus,
    ExceptionIn,
    ExceptionType,
    Refs,
)
from agents.twin_facts import TWIN_SOURCE
from agents.whatif import (
    CapacityWhatIf,
    ClosureWhatIf,
    capacity_cut,
    read_situation,
    site_closure,
)
from graph.desk import DecisionConflict, DecisionNotFound, Desk, OffSubject
from graph.state import Verdict
from tools.evidence import Evidence
from tools.forecast import Forecast, forecast
from tools.late_risk import OVERDUE_RULE, score_shipments
from twin import actions as a
from twin import frames, store
from twin import models as m
from twin.access import DECIDERS, REPORTERS

MAX_WEEKS = TWIN_FORECAST.max_horizon // 7  # the demand forecaster looks 28 days ahead
TOP = 5  # items listed per kind in a risk overview
CODE_ARGS: dict[str, tuple[str, str]] = {  # tool arguments naming twin entities: the entity kind and its label
    "shipment_id": ("shipment", "shipment"),
    "sku": ("sku", "SKU"),
    "location": ("dc", "DC"),
    "asset_id": ("truck", "truck"),
    "lane": ("lane", "lane"),
    "carrier": ("carrier", "carrier"),
    "decision_id": ("decision", "decision"),
}
ACT_ROLES = {
    "report_exception": REPORTERS,
    "approve_decision": DECIDERS,
    "reject_decision": DECIDERS,
    "override_decision": DECIDERS,
}
MAX_CLOSURE_DAYS = 28
ON_TIME_WINDOW_DAYS = 28
MAX_LISTED = 20
T = TypeVar("T")


# --- arguments -----------------------------------------------------------------------------------------------


class About(BaseModel):
    """The codes something is about: a shipment, a SKU, a truck, a carrier."""

    shipment_id: str | None = Field(default=None, description="A shipment, e.g. SHP-000123.")
    sku: str | None = Field(default=None, description="A SKU, e.g. SKU-0042.")
    asset_id: str | None = Field(default=None, description="A truck, e.g. TRK-007.")
    carrier: str | None = Field(default=None, description="A carrier, e.g. CAR-REDRIVER.")


class ExplainArgs(About):
    """Which decision: its id, or the latest decision about a shipment, SKU, truck or carrier."""

    decision_id: str | None = Field(default=None, description="A decision id, e.g. DEC-1A2B3C4D5E6F.")


class RisksArgs(BaseModel):
    """A DC and how many weeks ahead to look."""

    location: str | None = Field(default=None, description="A DC code, e.g. DC-DAL.")
    horizon_weeks: int = Field(default=1, ge=1, le=MAX_WEEKS, description="Weeks ahead.")


class ForecastArgs(BaseModel):
    """A SKU at a DC and how many weeks ahead to forecast."""

    sku: str | None = Field(default=None, description="A SKU, e.g. SKU-0042.")
    location: str | None = Field(default=None, description="A DC code, e.g. DC-DAL.")
    horizon_weeks: int = Field(default=MAX_WEEKS, description=f"Weeks ahead, 1 to {MAX_WEEKS}.")


class FleetArgs(BaseModel):
    """How many trucks to rank, optionally of one DC only."""

    location: str | None = Field(default=None, description="A DC code to rank only its trucks, e.g. DC-DAL.")
    asset_id: str | None = Field(
        default=None, description="One truck, e.g. TRK-014, to show only its place in the queue."
    )
    top: int = Field(default=TOP, ge=1, le=50, description="How many trucks to list.")


class WhatIfArgs(BaseModel):
    """A carrier, the share of its capacity it loses, optionally one of its lanes, and the week it starts."""

    carrier: str | None = Field(default=None, description="A carrier, e.g. CAR-REDRIVER.")
    capacity_cut_pct: float | None = Field(default=None, description="Capacity lost, in percent (0 to 100).")
    lane: str | None = Field(
        default=None, description="One lane of the carrier, e.g. DAL-HOU; all its lanes when absent."
    )
    week_of: date | None = Field(
        default=None, description="The first day of the week the cut hits; this week when absent."
    )


class ClosureArgs(BaseModel):
    """A DC, how many days it is closed and from which day."""

    location: str | None = Field(default=None, description="A DC code, e.g. DC-HOU.")
    days: int = Field(default=1, description="Days closed, 1 to 28.")
    first_day: date | None = Field(default=None, description="The first day closed; today when absent.")


class StockRisksArgs(BaseModel):
    """Where to look for SKUs short of their forecast demand, and how many to list."""

    location: str | None = Field(default=None, description="A DC code; every DC when absent.")
    top: int = Field(default=TOP, ge=1, le=50, description="How many SKU-DCs to list.")


class DecisionsArgs(About):
    """Filters on decisions: status, specialist, and a code they are about."""

    status: str | None = Field(
        default=None, description="pending_approval, executed, rejected, overridden, needs_info or no_action."
    )
    specialist: str | None = Field(default=None, description="routing, inventory or maintenance.")
    location: str | None = Field(default=None, description="A DC, e.g. DC-DAL")


class NoArgs(BaseModel):
    """No arguments."""


class CarriersArgs(BaseModel):
    """Carriers to compare (all on the lane when none) and the lane."""

    carriers: list[str] = Field(default_factory=list, description="Carrier codes, e.g. CAR-SWIFTLINE.")
    lane: str | None = Field(default=None, description="A lane, e.g. DAL-HOU; every lane of the carriers when absent.")
    cheapest_first: bool = Field(default=False, description="Order by rate per mile instead of on-time rate.")


class CoverArgs(BaseModel):
    """A SKU at a DC."""

    sku: str | None = Field(default=None, description="A SKU, e.g. SKU-0042.")
    location: str | None = Field(default=None, description="A DC code, e.g. DC-HOU.")


class ShipmentArgs(BaseModel):
    """One shipment."""

    shipment_id: str | None = Field(default=None, description="A shipment, e.g. SHP-009267.")


class ShipmentRisksArgs(BaseModel):
    """Which open shipments to rank: towards or from a DC, due by a time."""

    origin: str | None = Field(default=None, description="Shipments leaving this DC, e.g. DC-DAL.")
    destination: str | None = Field(default=None, description="Shipments on lanes towards this DC, e.g. DC-DAL.")
    due_by: datetime | None = Field(default=None, description="Only shipments promised by then.")
    top: int = Field(default=TOP, ge=1, le=50, description="How many to list.")


class VerdictArgs(BaseModel):
    """The decision to act on and why."""

    decision_id: str | None = Field(default=None, description="A decision id, e.g. DEC-1A2B3C4D5E6F.")
    reason: str | None = Field(default=None, max_length=1000, description="Why, in the person's words.")


class OverrideArgs(VerdictArgs):
    """The decision to override, with what instead and why."""

    carrier: str | None = Field(default=None, description="The carrier to use instead in the decision's actions.")
    alternative: bool = Field(default=False, description="Use the decision's first rejected alternative instead.")


class ReportArgs(About):
    """A problem reported in the person's words, with the codes it names."""

    description: str = Field(min_length=1, max_length=4000, description="The report, in the person's words.")
    type: ExceptionType | None = Field(default=None, description="The kind of exception, when clear.")
    location: str | None = Field(default=None, description="A DC, e.g. DC-DAL")
    lane: str | None = Field(default=None, description="e.g. DAL-HOU")


# --- results -------------------------------------------------------------------------------------------------


class DecisionFacts(BaseModel):
    """A decision as the chat shows it: status, actions, justification and evidence."""

    decision_id: str
    exception_id: str
    status: str
    specialist: str | None
    actions: list[str]
    cost_usd: float
    confidence: float
    justification: str | None = None
    missing: list[str] = Field(default_factory=list)
    policy_reasons: list[str] = Field(default_factory=list)
    evidence: list[Evidence] = Field(default_factory=list)


class ShipmentRisk(BaseModel):
    """An open shipment's probability of arriving late."""

    shipment_id: str
    p_late: float
    lane: str
    carrier: str | None
    promised_at: datetime


class StockRisk(BaseModel):
    """A SKU at a DC whose available stock is below the 90th percentile of its forecast demand over the horizon."""

    sku: str
    location: str
    available: int
    demand_p50: float
    demand_p90: float


class TruckRisk(BaseModel):
    """A truck's failure risk, remaining useful life and top drivers."""

    asset_id: str
    dc: str
    status: str
    p_fail: float
    rul_days: float
    drivers: list[str]


class RisksFacts(BaseModel):
    """What is at risk at a DC over the horizon: shipments, stock and trucks."""

    location: str
    horizon_weeks: int
    open_shipments: int
    likely_late: int = Field(description=f"Open shipments with P(late) >= {LATE_TRIGGER}.")
    riskiest_shipments: list[ShipmentRisk]
    below_reorder_point: list[str]
    stockout_risk: list[StockRisk] = Field(description="SKUs below their reorder point that the forecast says run out.")
    trucks_at_risk: list[TruckRisk] = Field(description=f"Trucks with P(fail) >= {FAILURE_TRIGGER}.")
    evidence: list[Evidence]


class Demand(BaseModel):
    """Units over a span of days with the 80% interval."""

    p10: float
    p50: float
    p90: float


class WeekDemand(Demand):
    """One forecast week; its band adds the daily bands, so it is wider than a calibrated weekly interval."""

    week: int
    first_day: date
    last_day: date


class ForecastFacts(BaseModel):
    """A SKU's demand at a DC: the calibrated total and the weeks."""

    sku: str
    location: str
    as_of: date
    horizon_weeks: int
    total: Demand
    weeks: list[WeekDemand]
    evidence: list[Evidence]


class StockRisksFacts(BaseModel):
    """SKU-DCs short of their forecast demand, largest gap first."""

    location: str | None
    skus: list[StockRisk]
    evidence: list[Evidence]


class FleetFacts(BaseModel):
    """Trucks in the order to service them, riskiest first."""

    location: str | None = None
    trucks: list[TruckRisk]
    evidence: list[Evidence]


class PendingDecision(BaseModel):
    """A decision in a listing."""

    decision_id: str
    exception_id: str
    status: str
    specialist: str | None
    actions: list[str]
    cost_usd: float
    confidence: float
    reasons: list[str]
    created_at: datetime


class CarrierOffer(BaseModel):
    """A carrier on a lane: on-time rate, rate, transit time and weekly capacity."""

    carrier: str
    lane: str
    on_time_rate: float
    rate_per_mile: float
    transit_days: int
    capacity_per_week: int
    shipments: int


class CarriersFacts(BaseModel):
    """Carriers side by side, best on-time rate first."""

    lane: str | None
    offers: list[CarrierOffer]
    evidence: list[Evidence]


class CoverFacts(BaseModel):
    """Stock of a SKU at a DC and the days it covers at the forecast daily demand."""

    sku: str
    location: str
    on_hand: int
    available: int
    daily_demand_p50: float
    days_of_cover: float
    evidence: list[Evidence]


class ShipmentFacts(BaseModel):
    """A shipment's status, promise and ETA, with its probability of arriving late while open."""

    shipment_id: str
    status: str
    lane: str
    carrier: str | None
    promised_at: datetime
    eta: datetime | None
    p_late: float | None
    late_by_rule: bool = Field(
        default=False, description="Past its promise and not delivered: late by the desk's rule."
    )
    evidence: list[Evidence]


class ShipmentRisksFacts(BaseModel):
    """Open shipments ranked by P(late)."""

    origin: str | None
    destination: str | None
    due_by: datetime | None
    open_shipments: int
    shipments: list[ShipmentRisk]
    evidence: list[Evidence]


class DecisionsFacts(BaseModel):
    """Decisions matching the filters, newest first (at most 20 listed)."""

    filters: dict[str, str]
    count: int
    decisions: list[PendingDecision]


class Kpis(BaseModel):
    """The desk's figures now: open work, decisions by status, automation, cost and on-time delivery."""

    open_exceptions: int
    decisions: int
    by_status: dict[str, int]
    automation_rate: float | None = Field(description="Acting decisions executed without a person, of all acting ones.")
    executed_cost_usd: float
    on_time_rate: float | None = Field(description="Shipments delivered by their promise over the window.")
    on_time_window_days: int = ON_TIME_WINDOW_DAYS
    evidence: list[Evidence]


# --- helpers -------------------------------------------------------------------------------------------------


def checked(session: Session, key: str, value: str) -> str:
    """The canonical code of a value when the twin holds it; otherwise a ToolException saying so."""
    kind, label = CODE_ARGS[key]
    code = canonical_code(key, value)
    if code is None:
        raise ToolException(f"{value!r} is not a {label} code")
    if store.entity(session, kind, code) is None:
        raise ToolException(f"{code} is not in the twin")
    return code


def checked_all(session: Session, args: BaseModel) -> dict[str, str]:
    """Every code an argument model names, checked against the twin, by argument name."""
    values = args.model_dump(include=set(CODE_ARGS), exclude_none=True)
    return {key: checked(session, key, str(value)) for key, value in values.items()}


def action_label(action: Action) -> str:
    """An action with its scalar parameters, e.g. `expedite_shipment(shipment_id=SHP-000123, hours_saved=6.2)`."""
    params = ", ".join(f"{k}={v}" for k, v in action.params.as_dict().items() if isinstance(v, str | int | float))
    return f"{action.type}({params})"


def decision_facts(decision: Decision, with_evidence: bool) -> DecisionFacts:
    """The chat's view of a decision."""
    return DecisionFacts(
        decision_id=decision.decision_id,
        exception_id=decision.exception_id,
        status=decision.status,
        specialist=decision.specialist,
        actions=[action_label(item) for item in decision.actions],
        cost_usd=decision.expected_impact.cost_usd,
        confidence=decision.confidence,
        justification=decision.justification.text if decision.justification else None,
        missing=decision.missing,
        policy_reasons=decision.policy.reasons if decision.policy else [],
        evidence=decision.evidence if with_evidence else [],
    )


def detached(call: Callable[..., T], *args) -> T:
    """Run a desk call in an empty context, so the desk graph runs as a root graph on its own thread and its model
    calls stay out of the chat's stream."""
    return contextvars.Context().run(call, *args)


def truck_risk(priority: maintenance.FleetPriority) -> TruckRisk:
    """The chat's view of a truck in the service queue."""
    return TruckRisk(
        asset_id=priority.truck,
        dc=priority.dc,
        status=priority.status,
        p_fail=priority.p_fail,
        rul_days=priority.rul_days,
        drivers=[driver.feature for driver in priority.drivers],
    )


def demand_history(session: Session, sku: str, location: str) -> pd.DataFrame:
    """A SKU's daily demand at one DC with the day's holiday and event, as the forecaster reads it."""
    return pd.DataFrame(
        [
            {**row.model_dump(exclude={"id"}), "holiday": holiday, "event": event}
            for row, holiday, event in store.sku_demand(session, sku)
            if row.location == location
        ]
    )


def available_units(position: m.InventoryPosition) -> int:
    """Stock a DC can still promise: on hand and in transit, less what is allocated."""
    return position.on_hand + position.in_transit - position.allocated


def _weeks(outlook: Forecast) -> list[WeekDemand]:
    """The forecast's days added up by week."""
    weeks = []
    for start in range(0, outlook.horizon_days, 7):
        days = outlook.days[start : start + 7]
        weeks.append(
            WeekDemand(
                week=start // 7 + 1,
                first_day=days[0].day,
                last_day=days[-1].day,
                p10=round(sum(d.p10 for d in days), 1),
                p50=round(sum(d.p50 for d in days), 1),
                p90=round(sum(d.p90 for d in days), 1),
            )
        )
    return weeks


def _named(record: m.DecisionRecord, refs: dict) -> set[str]:
    """The codes a decision is about: its exception's references and its actions' string parameters."""
    return {
        *refs.values(),
        *(
            value
            for action in Decision.of(record).actions
            for value in action.params.model_dump(mode="json").values()
            if isinstance(value, str)
        ),
    }


def as_utc(moment: datetime) -> datetime:
    """A timestamp as aware UTC (SQLite returns naive ones)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _overridden_actions(decision: Decision, carrier: str | None, alternative: bool) -> list[Action]:
    """The decision's actions with another carrier, or its first rejected alternative's actions."""
    if alternative:
        plan = next((alt for alt in decision.alternatives if alt.actions), None)
        if plan is None:
            raise ToolException(f"{decision.decision_id} has no alternative with actions")
        return plan.actions
    if carrier is None:
        raise ToolException("say what to do instead: another carrier (e.g. use CAR-PRAIRIE) or its alternative")
    if not any(_with_carrier(action, carrier) != action for action in decision.actions):
        raise ToolException(f"the actions of {decision.decision_id} name no carrier to replace")
    return [_with_carrier(action, carrier) for action in decision.actions]


def _with_carrier(action: Action, carrier: str) -> Action:
    """The action given to another carrier, where it names one; any other action as it is."""
    match action:
        case a.SwitchCarrier(params=params):
            return action.model_copy(update={"params": params.model_copy(update={"to_carrier": carrier})})
        case a.TenderStops(params=params) | a.BookCarrier(params=params):
            return action.model_copy(update={"params": params.model_copy(update={"carrier": carrier})})
        case _:
            return action


def _missing(what: str, options: list[str]) -> ToolException:
    """An error asking for a code, listing the twin's choices."""
    return ToolException(f"name {what}: one of {', '.join(options)}")


# --- the tools -----------------------------------------------------------------------------------------------


class ChatTools:
    """The chat tools of one caller: they read the twin, models and solvers, and act through the desk as `actor`."""

    def __init__(self, desk: Desk, role: str, actor: str) -> None:
        self.desk, self.tb, self.role, self.actor = desk, desk.toolbox, role, actor

    def canonical_codes(self, args: dict) -> dict:
        """The arguments of an act with every code checked against the twin and canonical (ToolException if not)."""
        with self.tb.session() as session:
            return {
                key: checked(session, key, str(value)) if key in CODE_ARGS and value else value
                for key, value in args.items()
            }

    def _dc_or_ask(self, session: Session, location: str | None) -> str:
        """A checked DC code, or an error listing the DCs."""
        if location is None:
            raise _missing("a DC", [dc.code for dc in store.dcs(session)])
        return checked(session, "location", location)

    def explain_decision(self, args: ExplainArgs) -> DecisionFacts:
        """Explain a decision (by id, or the latest about a shipment, SKU, truck or carrier): status, actions,
        justification and evidence."""
        with self.tb.session() as session:
            codes = checked_all(session, args)
            if not codes:
                raise ToolException("name a decision id, a shipment, a SKU, a truck or a carrier")
            if "decision_id" in codes:
                record = session.get(m.DecisionRecord, codes["decision_id"])
            else:
                record = self._latest_about(session, set(codes.values()))
        if record is None:
            raise ToolException(f"no decision is about {', '.join(codes.values())} yet")
        return decision_facts(Decision.of(record), with_evidence=True)

    @staticmethod
    def _latest_about(session: Session, codes: set[str]) -> m.DecisionRecord | None:
        """The newest decision whose exception or actions name one of the codes."""
        rows = session.execute(
            select(m.DecisionRecord, col(m.ExceptionRecord.refs))
            .join(m.ExceptionRecord, col(m.ExceptionRecord.id) == col(m.DecisionRecord.exception_id))
            .order_by(col(m.DecisionRecord.created_at).desc(), col(m.DecisionRecord.id).desc())
        ).all()
        return next((record for record, refs in rows if codes & _named(record, refs)), None)

    def risks_at_location(self, args: RisksArgs) -> RisksFacts:
        """What is at risk at a DC over the next weeks: open shipments by P(late), SKUs below their reorder point or
        short of their demand forecast, and trucks likely to fail."""
        now = self.tb.now()
        with self.tb.session() as session:
            dc = self._dc_or_ask(session, args.location)
            ids = list(
                session.execute(
                    select(col(m.Shipment.id)).where(
                        col(m.Shipment.origin) == dc,
                        col(m.Shipment.status) != "delivered",
                        col(m.Shipment.promised_at) <= now + timedelta(weeks=args.horizon_weeks),
                    )
                ).scalars()
            )
            shipments = frames.shipment_frame(session, ids=ids)
            positions = list(
                session.execute(
                    select(m.InventoryPosition)
                    .where(col(m.InventoryPosition.location) == dc)
                    .order_by(col(m.InventoryPosition.sku))
                ).scalars()
            )
            below = [p for p in positions if available_units(p) < p.reorder_point]
            histories = {(p.sku, dc): demand_history(session, p.sku, dc) for p in below}
            fleet_size = len(store.fleet(session))
        promised = dict(zip(shipments["shipment_id"], shipments["promised_at"], strict=True))
        risks = sorted(
            score_shipments(self.tb.models.late, shipments, now=self.tb.now()) if ids else [], key=lambda r: -r.p_late
        )
        riskiest = [
            ShipmentRisk(
                shipment_id=r.shipment_id,
                p_late=r.p_late,
                lane=r.evidence.inputs["lane"],
                carrier=r.evidence.inputs["carrier"],
                promised_at=promised[r.shipment_id],
            )
            for r in risks[:TOP]
        ]
        stock, stock_evidence = self._stock_risks(below, histories, args.horizon_weeks)
        trucks = [
            p for p in maintenance.fleet_priority(self.tb, fleet_size) if p.dc == dc and p.p_fail >= FAILURE_TRIGGER
        ]
        positions_evidence = Evidence(
            id=f"twin:positions:{dc}",
            source=TWIN_SOURCE,
            inputs={"location": dc},
            facts={p.sku: {"available": available_units(p), "reorder_point": p.reorder_point} for p in below},
        )
        return RisksFacts(
            location=dc,
            horizon_weeks=args.horizon_weeks,
            open_shipments=len(risks),
            likely_late=sum(r.p_late >= LATE_TRIGGER for r in risks),
            riskiest_shipments=riskiest,
            below_reorder_point=[p.sku for p in below],
            stockout_risk=stock[:TOP],
            trucks_at_risk=[truck_risk(p) for p in trucks[:TOP]],
            evidence=[
                *(r.evidence for r in risks[:TOP]),
                positions_evidence,
                *stock_evidence[:TOP],
                *(p.evidence for p in trucks[:TOP]),
            ],
        )

    def _stock_risks(
        self, below: list[m.InventoryPosition], histories: dict[str, pd.DataFrame], weeks: int
    ) -> tuple[list[StockRisk], list[Evidence]]:
        """Of the SKUs below their reorder point, those whose available stock is below the p90 of their forecast
        demand over the weeks, largest gap first."""
        found = []
        for position in below:
            history = histories[(position.sku, position.location)]
            if history.empty:
                continue
            outlook = forecast(
                self.tb.models.demand,
                history,
                {"sku": position.sku, "location": position.location},
                weeks * 7,
                as_of=history["day"].max(),
            )
            if available_units(position) < outlook.total.p90:
                found.append(
                    (
                        StockRisk(
                            sku=position.sku,
                            location=position.location,
                            available=available_units(position),
                            demand_p50=round(outlook.total.p50, 1),
                            demand_p90=round(outlook.total.p90, 1),
                        ),
                        outlook.evidence,
                    )
                )
        found.sort(key=lambda item: item[0].available - item[0].demand_p90)
        return [risk for risk, _ in found], [evidence for _, evidence in found]

    def forecast_demand(self, args: ForecastArgs) -> ForecastFacts:
        """Forecast a SKU's demand at a DC for 1 to 4 weeks: the total and each week with p10/p50/p90 units."""
        if not 1 <= args.horizon_weeks <= MAX_WEEKS:
            raise ToolException(
                f"the forecaster looks 1 to {MAX_WEEKS} weeks ahead, not {args.horizon_weeks}; "
                f"ask for {MAX_WEEKS} weeks or fewer"
            )
        with self.tb.session() as session:
            if args.sku is None:
                raise ToolException("name a SKU, e.g. SKU-0042")
            sku = checked(session, "sku", args.sku)
            dc = self._dc_or_ask(session, args.location)
            history = demand_history(session, sku, dc)
        if history.empty:
            raise ToolException(f"{sku} has no demand history at {dc}")
        outlook = forecast(
            self.tb.models.demand,
            history,
            {"sku": sku, "location": dc},
            args.horizon_weeks * 7,
            as_of=history["day"].max(),
        )
        total = outlook.total
        return ForecastFacts(
            sku=sku,
            location=dc,
            as_of=outlook.as_of,
            horizon_weeks=args.horizon_weeks,
            total=Demand(p10=round(total.p10, 1), p50=round(total.p50, 1), p90=round(total.p90, 1)),
            weeks=_weeks(outlook),
            evidence=[outlook.evidence],
        )

    def fleet_service_priority(self, args: FleetArgs) -> FleetFacts:
        """Rank trucks (all, or one DC's) by failure risk: the order to service them, with remaining useful life."""
        with self.tb.session() as session:
            dc = checked(session, "location", args.location) if args.location else None
            truck = checked(session, "asset_id", args.asset_id) if args.asset_id else None
            fleet_size = len(store.fleet(session))
        queue = maintenance.fleet_priority(self.tb, fleet_size if dc or truck else args.top)
        queue = [p for p in queue if dc in (None, p.dc) and truck in (None, p.truck)][: args.top]
        return FleetFacts(location=dc, trucks=[truck_risk(p) for p in queue], evidence=[p.evidence for p in queue])

    def what_if_capacity(self, args: WhatIfArgs) -> CapacityWhatIf:
        """What if a carrier loses part of its capacity: its displaced loads re-tendered by the solver on a copy of
        the situation, with freight cost, expected late loads and open loads before and after (nothing changes)."""
        with self.tb.session() as session:
            if args.carrier is None:
                raise _missing("a carrier", [c.code for c in session.execute(select(m.Carrier)).scalars()])
            codes = checked_all(session, args)
        if args.capacity_cut_pct is None or not 0 < args.capacity_cut_pct <= 100:
            raise ToolException("give the capacity cut as a share between 0 and 100%, e.g. 30% or half")
        situation = read_situation(self.tb, codes["carrier"], codes.get("lane"))
        if not situation.own:
            raise ToolException(f"{codes['carrier']} has no contract on {codes.get('lane', 'any lane')}")
        result = capacity_cut(situation, args.capacity_cut_pct)
        if result is None:
            raise ToolException(f"a {args.capacity_cut_pct}% cut displaces none of {codes['carrier']}'s recent loads")
        return result.model_copy(update={"week_of": args.week_of or self.tb.now().date()})

    def what_if_closure(self, args: ClosureArgs) -> ClosureWhatIf:
        """What if a DC closes for some days: the orders, stock and routes it touches, and the orders re-sourced to
        the nearest DC with stock (nothing changes)."""
        if not 1 <= args.days <= MAX_CLOSURE_DAYS:
            raise ToolException(f"a closure lasts 1 to {MAX_CLOSURE_DAYS} days, not {args.days}")
        with self.tb.session() as session:
            dc = self._dc_or_ask(session, args.location)
        return site_closure(self.tb, dc, args.first_day or self.tb.now().date(), args.days)

    def stock_risks(self, args: StockRisksArgs) -> StockRisksFacts:
        """SKU-DCs below their reorder point whose stock is short of the p90 of a week's forecast demand, largest
        gap first (one DC or all)."""
        with self.tb.session() as session:
            dcs = [self._dc_or_ask(session, args.location)] if args.location else [d.code for d in store.dcs(session)]
            below = [
                p
                for p in session.execute(
                    select(m.InventoryPosition)
                    .where(col(m.InventoryPosition.location).in_(dcs))
                    .order_by(col(m.InventoryPosition.location), col(m.InventoryPosition.sku))
                ).scalars()
                if available_units(p) < p.reorder_point
            ]
            histories = {(p.sku, p.location): demand_history(session, p.sku, p.location) for p in below}
        risks, evidence = self._stock_risks(below, histories, 1)
        return StockRisksFacts(location=args.location and dcs[0], skus=risks[: args.top], evidence=evidence[: args.top])

    def compare_carriers(self, args: CarriersArgs) -> CarriersFacts:
        """Compare carriers (on a lane, or everywhere they run): on-time rate, rate per mile, transit days and
        weekly capacity, best on-time rate first."""
        with self.tb.session() as session:
            carriers = [checked(session, "carrier", code) for code in args.carriers]
            lane = checked(session, "lane", args.lane) if args.lane else None
            if lane is None and not carriers:
                raise ToolException("name a lane (e.g. DAL-HOU) or a carrier (e.g. CAR-SWIFTLINE)")
            offers = [
                offer for offer in store.carrier_lanes(session, lane=lane) if not carriers or offer.carrier in carriers
            ]
        if not offers:
            raise ToolException(f"none of {', '.join(carriers) or 'the carriers'} runs {lane or 'a lane'}")
        rows = sorted(
            (CarrierOffer.model_validate(o, from_attributes=True) for o in offers),
            key=lambda row: (
                (row.rate_per_mile, -row.on_time_rate)
                if args.cheapest_first
                else (-row.on_time_rate, row.rate_per_mile)
            ),
        )
        evidence = Evidence(
            id=f"twin:carrier-lanes:{lane or '+'.join(carriers)}",
            source=TWIN_SOURCE,
            inputs={"lane": lane, "carriers": carriers},
            facts={f"{row.carrier} {row.lane}": row.model_dump() for row in rows},
        )
        return CarriersFacts(lane=lane, offers=rows, evidence=[evidence])

    def days_of_cover(self, args: CoverArgs) -> CoverFacts:
        """Days of cover of a SKU at a DC: available stock over the forecast median daily demand."""
        with self.tb.session() as session:
            if args.sku is None:
                raise ToolException("name a SKU, e.g. SKU-0042")
            sku = checked(session, "sku", args.sku)
            dc = self._dc_or_ask(session, args.location)
            position = session.execute(
                select(m.InventoryPosition).where(
                    col(m.InventoryPosition.sku) == sku, col(m.InventoryPosition.location) == dc
                )
            ).scalar_one_or_none()
            history = demand_history(session, sku, dc)
        if position is None or history.empty:
            raise ToolException(f"{dc} holds no {sku}")
        outlook = forecast(self.tb.models.demand, history, {"sku": sku, "location": dc}, 7, as_of=history["day"].max())
        daily = round(outlook.total.p50 / 7, 1)
        cover = round(available_units(position) / daily, 1) if daily > 0 else float(available_units(position))
        stock = Evidence(
            id=f"twin:position:{sku}/{dc}",
            source=TWIN_SOURCE,
            inputs={"sku": sku, "location": dc},
            facts={
                "on_hand": position.on_hand,
                "available": available_units(position),
                "daily_demand_p50": daily,
                "days_of_cover": cover,
            },
        )
        return CoverFacts(
            sku=sku,
            location=dc,
            on_hand=position.on_hand,
            available=available_units(position),
            daily_demand_p50=daily,
            days_of_cover=cover,
            evidence=[stock, outlook.evidence],
        )

    def shipment_status(self, args: ShipmentArgs) -> ShipmentFacts:
        """A shipment's status, promised time and ETA, and while open its probability of arriving late."""
        with self.tb.session() as session:
            if args.shipment_id is None:
                raise ToolException("name a shipment, e.g. SHP-009267")
            shipment = session.get(m.Shipment, checked(session, "shipment_id", args.shipment_id))
            frame = frames.shipment_frame(session, ids=[shipment.id]) if shipment.status != "delivered" else None
        risk = (
            score_shipments(self.tb.models.late, frame, now=self.tb.now())[0]
            if frame is not None and len(frame)
            else None
        )
        eta = shipment.delivered_at
        record = Evidence(
            id=f"twin:shipment:{shipment.id}",
            source=TWIN_SOURCE,
            inputs={"shipment_id": shipment.id},
            facts={
                "status": shipment.status,
                "lane": shipment.lane,
                "carrier": shipment.carrier,
                "promised_at": shipment.promised_at.isoformat(),
                "eta": eta.isoformat() if eta else None,
            },
        )
        return ShipmentFacts(
            shipment_id=shipment.id,
            status=shipment.status,
            lane=shipment.lane,
            carrier=shipment.carrier,
            promised_at=shipment.promised_at,
            eta=eta,
            p_late=risk.p_late if risk else None,
            late_by_rule=bool(risk and risk.evidence.source == OVERDUE_RULE),
            evidence=[record, *([risk.evidence] if risk else [])],
        )

    def shipment_risks(self, args: ShipmentRisksArgs) -> ShipmentRisksFacts:
        """Open shipments most likely to arrive late, towards or from a DC and due by a time, riskiest first."""
        with self.tb.session() as session:
            origin = checked(session, "location", args.origin) if args.origin else None
            destination = checked(session, "location", args.destination) if args.destination else None
            query = select(col(m.Shipment.id)).where(col(m.Shipment.status) != "delivered")
            if origin:
                query = query.where(col(m.Shipment.lane).startswith(origin.removeprefix("DC-") + "-"))
            if destination:
                query = query.where(col(m.Shipment.lane).endswith("-" + destination.removeprefix("DC-")))
            if args.due_by:
                query = query.where(col(m.Shipment.promised_at) <= args.due_by)
            ids = list(session.execute(query).scalars())
            shipments = frames.shipment_frame(session, ids=ids)
        promised = dict(zip(shipments["shipment_id"], shipments["promised_at"], strict=True))
        risks = sorted(
            score_shipments(self.tb.models.late, shipments, now=self.tb.now()) if ids else [], key=lambda r: -r.p_late
        )
        top = risks[: args.top]
        return ShipmentRisksFacts(
            origin=origin,
            destination=destination,
            due_by=args.due_by,
            open_shipments=len(risks),
            shipments=[
                ShipmentRisk(
                    shipment_id=r.shipment_id,
                    p_late=r.p_late,
                    lane=r.evidence.inputs["lane"],
                    carrier=r.evidence.inputs["carrier"],
                    promised_at=promised[r.shipment_id],
                )
                for r in top
            ],
            evidence=[r.evidence for r in top],
        )

    def list_decisions(self, args: DecisionsArgs) -> DecisionsFacts:
        """List decisions, newest first, by status (e.g. pending_approval), specialist, or a code they are about."""
        if args.status and args.status not in get_args(DecisionStatus):
            raise ToolException(f"status is one of {', '.join(get_args(DecisionStatus))}, not {args.status}")
        with self.tb.session() as session:
            codes = set(checked_all(session, args).values())
            query = select(m.DecisionRecord).order_by(
                col(m.DecisionRecord.created_at).desc(), col(m.DecisionRecord.id).desc()
            )
            if args.status:
                query = query.where(col(m.DecisionRecord.status) == args.status)
            if args.specialist:
                query = query.where(col(m.DecisionRecord.specialist) == args.specialist)
            records = session.execute(query).scalars().all()
            if codes:
                refs = dict(session.execute(select(col(m.ExceptionRecord.id), col(m.ExceptionRecord.refs))).all())
                records = [r for r in records if codes & _named(r, refs.get(r.exception_id) or {})]
        listed = []
        for record in records[:MAX_LISTED]:
            decision = Decision.of(record)
            listed.append(
                PendingDecision(
                    decision_id=record.id,
                    exception_id=record.exception_id,
                    status=record.status,
                    specialist=record.specialist,
                    actions=[action_label(item) for item in decision.actions],
                    cost_usd=decision.expected_impact.cost_usd,
                    confidence=record.confidence,
                    reasons=decision.policy.reasons if decision.policy else [],
                    created_at=record.created_at,
                )
            )
        filters = {k: str(v) for k, v in args.model_dump(exclude_none=True).items()}
        return DecisionsFacts(filters=filters, count=len(records), decisions=listed)

    def kpis(self, _args: NoArgs) -> Kpis:
        """The desk's KPIs now: open exceptions, decisions by status, automation rate, executed cost and the on-time
        delivery rate of the last four weeks."""
        now = self.tb.now()
        with self.tb.session() as session:
            open_exceptions = store.count(session, m.ExceptionRecord, col(m.ExceptionRecord.status) == "open")
            records = session.execute(select(m.DecisionRecord)).scalars().all()
            delivered = session.execute(
                select(col(m.Shipment.delivered_at), col(m.Shipment.promised_at)).where(
                    col(m.Shipment.delivered_at).is_not(None),
                    col(m.Shipment.delivered_at) >= now - timedelta(days=ON_TIME_WINDOW_DAYS),
                )
            ).all()
        by_status: dict[str, int] = {}
        for record in records:
            by_status[record.status] = by_status.get(record.status, 0) + 1
        decided = [
            Decision.of(r) for r in records if r.status in ("executed", "overridden", "rejected", "pending_approval")
        ]
        acting = [d for d in decided if d.actions]
        automatic = [d for d in acting if d.status == "executed" and not (d.policy and d.policy.requires_approval)]
        cost = round(sum(d.expected_impact.cost_usd for d in decided if d.status in ("executed", "overridden")), 2)
        on_time = sum(as_utc(done) <= as_utc(promised) for done, promised in delivered)
        kpis = Kpis(
            open_exceptions=open_exceptions,
            decisions=len(records),
            by_status=by_status,
            automation_rate=round(len(automatic) / len(acting), 3) if acting else None,
            executed_cost_usd=cost,
            on_time_rate=round(on_time / len(delivered), 3) if delivered else None,
            evidence=[],
        )
        kpis.evidence = [
            Evidence(
                id="twin:kpis",
                source=TWIN_SOURCE,
                inputs={"as_of": now.isoformat()},
                facts={
                    **kpis.model_dump(exclude={"evidence"}),
                    "delivered": len(delivered),
                    "delivered_on_time": on_time,
                    "acting": len(acting),
                    "automatic": len(automatic),
                },
            )
        ]
        return kpis

    def _allowed(self, roles: tuple[str, ...], what: str) -> None:
        """Refuse, naming the roles that may, unless the caller's role is among them."""
        if self.role not in roles:
            raise ToolException(f"the {self.role} role cannot {what}; {', '.join(roles[:-1])} or {roles[-1]} can")

    def _verdict(self, verdict: str, args: VerdictArgs, actions: list[Action] | None = None) -> DecisionFacts:
        """Resume a pending decision with a verdict (and, for an override, the new actions), for deciders only."""
        self._allowed(DECIDERS, f"{verdict} decisions")
        if args.decision_id is None:
            raise ToolException(f"name the decision to {verdict}, e.g. DEC-1A2B3C4D5E6F")
        with self.tb.session() as session:
            decision_id = checked(session, "decision_id", args.decision_id)
        try:
            decision = detached(
                self.desk.resume,
                decision_id,
                Verdict(verdict=verdict, actor=self.actor, reason=args.reason, actions=actions),
            )
        except DecisionNotFound as error:
            raise ToolException(f"no decision {decision_id} is waiting") from error
        except (DecisionConflict, OffSubject) as error:
            raise ToolException(str(error)) from error
        return decision_facts(decision, with_evidence=False)

    def approve_decision(self, args: VerdictArgs) -> DecisionFacts:
        """Approve a decision waiting for approval, so its actions execute (planners and admins only)."""
        return self._verdict("approve", args)

    def reject_decision(self, args: VerdictArgs) -> DecisionFacts:
        """Reject a decision waiting for approval, with the reason, so its actions never execute (planners and admins
        only)."""
        if not args.reason and self.role in DECIDERS:
            raise ToolException("give the reason for the rejection; it is stored with the decision")
        return self._verdict("reject", args)

    def override_decision(self, args: OverrideArgs) -> DecisionFacts:
        """Override a waiting decision (planners and admins only) with another carrier in its actions or with its
        first rejected alternative, and the reason; the edited actions execute and are kept as labelled data."""
        self._allowed(DECIDERS, "override decisions")
        if args.decision_id is None or not args.reason:
            raise ToolException("name the decision and give the reason for the override")
        with self.tb.session() as session:
            decision_id = checked(session, "decision_id", args.decision_id)
            carrier = checked(session, "carrier", args.carrier) if args.carrier else None
            decision = Decision.of(session.get(m.DecisionRecord, decision_id))
        actions = _overridden_actions(decision, carrier, args.alternative)
        return self._verdict("override", VerdictArgs(decision_id=decision_id, reason=args.reason), actions)

    def report_exception(self, args: ReportArgs) -> DecisionFacts:
        """Report a problem (late shipment, stockout risk, truck fault, carrier short of capacity, demand spike) to
        the desk and return its decision (planners, integrators and admins)."""
        self._allowed(REPORTERS, "report exceptions")
        with self.tb.session() as session:
            refs = Refs(**checked_all(session, args))
        exception = ExceptionIn(type=args.type, description=args.description, refs=refs, source="chat")
        return decision_facts(detached(self.desk.submit, exception, self.actor), with_evidence=True)


ARGUMENTS: dict[str, type[BaseModel]] = {
    "explain_decision": ExplainArgs,
    "risks_at_location": RisksArgs,
    "forecast_demand": ForecastArgs,
    "fleet_service_priority": FleetArgs,
    "what_if_capacity": WhatIfArgs,
    "what_if_closure": ClosureArgs,
    "stock_risks": StockRisksArgs,
    "list_decisions": DecisionsArgs,
    "kpis": NoArgs,
    "approve_decision": VerdictArgs,
    "reject_decision": VerdictArgs,
    "override_decision": OverrideArgs,
    "report_exception": ReportArgs,
    "compare_carriers": CarriersArgs,
    "days_of_cover": CoverArgs,
    "shipment_status": ShipmentArgs,
    "shipment_risks": ShipmentRisksArgs,
}


def as_tool(
    name: str, run: Callable[[BaseModel], BaseModel], schema: type[BaseModel], doc: str | None = None
) -> BaseTool:
    """A LangChain tool that validates its arguments, runs, and answers with the result as a JSON-ready dict."""

    def call(**kwargs) -> dict:
        """Run the tool on validated arguments."""
        return run(schema.model_validate(kwargs)).model_dump(mode="json", exclude_none=True)

    return StructuredTool.from_function(
        func=call,
        name=name,
        description=" ".join((doc or run.__doc__).split()),
        args_schema=schema,
        handle_tool_error=True,
    )


def as_tools(tools: ChatTools) -> list[BaseTool]:
    """The LangChain tools of a caller's chat tools."""
    return [as_tool(name, getattr(tools, name), schema) for name, schema in ARGUMENTS.items()]


def make_chat_tools(desk: Desk, principal_role: str, actor: str) -> list[BaseTool]:
    """The chat tools for one caller; they act as `actor` with the caller's role."""
    return as_tools(ChatTools(desk, principal_role, actor))
