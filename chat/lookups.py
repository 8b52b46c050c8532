"""Chat tools that read what the twin already records and no intent used to reach: stock per DC, a truck's status,
history and service, delivery performance per lane or carrier over a period, spend per action type, the autonomy
rules, and what-ifs played on copies (a demand change, a truck out of service, a carrier's capacity changed and
re-tendered, a lane closed). None of them changes the twin."""

from datetime import date, datetime, time, timedelta
from typing import Literal

from langchain_core.tools import BaseTool, ToolException
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlmodel import Session, col

from agents import policy
from agents.schemas import Level
from agents.toolbox import Toolbox
from agents.twin_facts import rates, twin_record
from agents.whatif import (
    CapacityChangeWhatIf,
    LaneClosureWhatIf,
    capacity_change,
    lane_closure,
    read_situation,
)
from chat.tools.arguments import checked
from chat.tools.kpis import ON_TIME_WINDOW_DAYS, as_utc
from chat.tools.registry import as_tool
from chat.tools.stock import MAX_WEEKS, available_units, demand_history
from chat.tools.whatifs import MAX_CLOSURE_DAYS
from tools.evidence import Evidence
from tools.forecast import forecast
from twin import models as m
from twin import store
from twin.actions import parse_action
from twin.typed_pandas import as_day

LEVELS = {
    1: "recommend only",
    2: "execute after approval",
    3: "execute within bounds, else ask",
    4: "execute unless safety-critical",
}


# --- arguments -----------------------------------------------------------------------------------------------


class StockArgs(BaseModel):
    """A SKU, at some DCs or everywhere."""

    sku: str | None = Field(default=None, description="A SKU, e.g. SKU-0034.")
    locations: list[str] = Field(default_factory=list, description="DC codes; every DC holding the SKU when empty.")


class TruckArgs(BaseModel):
    """One truck."""

    asset_id: str | None = Field(default=None, description="A truck, e.g. TRK-017.")


class FleetStatusArgs(BaseModel):
    """The fleet, optionally one DC's trucks."""

    location: str | None = Field(default=None, description="A home DC, e.g. DC-ATL; every DC when absent.")


class PerformanceArgs(BaseModel):
    """Delivered shipments over a period, grouped by lane or carrier."""

    lane: str | None = Field(
        default=None, description="A lane with its direction, e.g. DAL-HOU; every lane when absent."
    )
    carriers: list[str] = Field(default_factory=list, description="Only these carriers.")
    origin: str | None = Field(default=None, description="Only shipments leaving this DC.")
    destination: str | None = Field(default=None, description="Only shipments towards this DC.")
    first_day: date | None = Field(default=None, description=f"First day; {ON_TIME_WINDOW_DAYS} days back when absent.")
    last_day: date | None = Field(default=None, description="Last day (inclusive); yesterday when absent.")
    group_by: Literal["lane", "carrier"] = "lane"


class SpendArgs(BaseModel):
    """Executed actions' cost over a period."""

    action_type: str | None = Field(
        default=None, description="One action type, e.g. expedite_shipment; all when absent."
    )
    first_day: date | None = Field(default=None, description="First day; this week's Monday when absent.")
    last_day: date | None = Field(default=None, description="Last day (inclusive); today when absent.")


class PolicyArgs(BaseModel):
    """The autonomy rules, optionally of one action type."""

    action_type: str | None = Field(default=None, description="An action type, e.g. replan_route; all when absent.")


class DemandWhatIfArgs(BaseModel):
    """A demand change for a SKU at some DCs or all."""

    sku: str | None = Field(default=None, description="A SKU, e.g. SKU-0042.")
    locations: list[str] = Field(default_factory=list, description="DC codes; every DC holding the SKU when empty.")
    factor: float = Field(description="Demand multiplier, e.g. 1.4 for +40%, 0.5 for half.", gt=0, le=10)
    first_day: date | None = Field(default=None, description="First day of the change; today when absent.")
    days: int = Field(default=7, ge=1, le=7 * MAX_WEEKS, description="Days the change lasts.")


class CapacityChangeArgs(BaseModel):
    """A carrier's capacity multiplied by a factor, on one lane or all its lanes."""

    carrier: str | None = Field(default=None, description="A carrier, e.g. CAR-SWIFTLINE.")
    lane: str | None = Field(default=None, description="One lane, e.g. DAL-HOU; all the carrier's lanes when absent.")
    factor: float = Field(gt=0, le=10, description="Capacity multiplier: 2 for double, 1.5 for +50%, 0.7 for -30%.")


class LaneClosureArgs(BaseModel):
    """A lane in one direction, how many days it is closed and from which day."""

    lane: str | None = Field(default=None, description="A lane as travelled, e.g. DAL-HOU (HOU-DAL is the way back).")
    days: int = Field(default=1, ge=1, le=MAX_CLOSURE_DAYS, description=f"Days closed, 1 to {MAX_CLOSURE_DAYS}.")
    first_day: date | None = Field(default=None, description="The first day closed; today when absent.")


class TruckWhatIfArgs(BaseModel):
    """A truck out of service on a day."""

    asset_id: str | None = Field(default=None, description="A truck, e.g. TRK-012.")
    day: date | None = Field(default=None, description="The day it is unavailable; today when absent.")


# --- results -------------------------------------------------------------------------------------------------


class StockRow(BaseModel):
    """Stock of a SKU at one DC."""

    location: str
    on_hand: int
    in_transit: int
    allocated: int
    available: int
    safety_stock: int
    reorder_point: int


class StockFacts(BaseModel):
    """A SKU's stock per DC, most on hand first."""

    sku: str
    rows: list[StockRow]
    total_on_hand: int
    total_available: int
    evidence: list[Evidence]


class WorkOrderRow(BaseModel):
    """One work order of a truck."""

    work_order: str
    kind: str
    component: str | None
    status: str
    opened_at: datetime
    scheduled_for: datetime | None
    closed_at: datetime | None


class TruckFacts(BaseModel):
    """A truck's status, odometer, service and work orders, and its stops today."""

    asset_id: str
    home_dc: str
    status: str
    model_year: int
    odometer_miles: float
    miles_since_service: float | None
    last_service_at: datetime
    next_service_at: datetime | None
    open_work_orders: list[WorkOrderRow]
    recent_work_orders: list[WorkOrderRow]
    stops_today: int
    evidence: list[Evidence]


class FleetRow(BaseModel):
    """One truck in the fleet list."""

    asset_id: str
    home_dc: str
    status: str
    open_work_orders: int
    next_service_at: datetime | None


class FleetStatusFacts(BaseModel):
    """The fleet's trucks with their status, and counts per status."""

    location: str | None
    by_status: dict[str, int]
    trucks: list[FleetRow]
    evidence: list[Evidence]


class PerformanceRow(BaseModel):
    """Deliveries of one lane or carrier over the period."""

    key: str
    delivered: int
    late: int
    on_time_rate: float


class PerformanceFacts(BaseModel):
    """Deliveries over a period, late counts and on-time rates, most late first."""

    group_by: str
    first_day: date
    last_day: date
    delivered: int
    late: int
    on_time_rate: float | None
    rows: list[PerformanceRow]
    evidence: list[Evidence]


class SpendRow(BaseModel):
    """Executed actions of one type over the period and what they cost."""

    action_type: str
    actions: int
    cost_usd: float


class SpendFacts(BaseModel):
    """Spend per action type over a period, most spent first."""

    first_day: date
    last_day: date
    total_usd: float
    rows: list[SpendRow]
    evidence: list[Evidence]


class PolicyRow(BaseModel):
    """One autonomy rule in planner words."""

    action_type: str
    cohort: str
    level: Level
    autonomy_level: int
    meaning: str
    needs_approval: str
    max_cost_usd: float | None
    min_confidence: float | None


class PolicyFacts(BaseModel):
    """The autonomy rules in force."""

    rules: list[PolicyRow]
    evidence: list[Evidence]


class DemandRow(BaseModel):
    """One DC under the changed demand."""

    location: str
    available: int
    demand_p50: float
    changed_demand: float
    short_units: float
    runs_out_on: date | None


class DemandWhatIfFacts(BaseModel):
    """What a demand change does to a SKU's stock: per DC, demand over the period and the day stock runs out."""

    sku: str
    factor: float
    first_day: date
    days: int
    rows: list[DemandRow]
    stockouts: int
    evidence: list[Evidence]


class StopHit(BaseModel):
    """A stop the unavailable truck would have served."""

    seq: int
    shipment_id: str
    customer: str
    eta_min: int
    promised_at: datetime | None


class TruckWhatIfFacts(BaseModel):
    """The stops a truck out of service leaves without a truck on that day."""

    asset_id: str
    day: date
    route_id: str | None
    stops: list[StopHit]
    evidence: list[Evidence]


# --- the tools -----------------------------------------------------------------------------------------------


def _dcs(session: Session, codes: list[str]) -> list[str]:
    """Checked DC codes."""
    return [checked(session, "location", code) for code in codes]


def _positions(session: Session, sku: str, locations: list[str]) -> list[m.InventoryPosition]:
    """A SKU's stock positions at some DCs (all when none named)."""
    query = select(m.InventoryPosition).where(col(m.InventoryPosition.sku) == sku)
    if locations:
        query = query.where(col(m.InventoryPosition.location).in_(locations))
    return list(session.execute(query).scalars())


def stock_levels(tb: Toolbox, args: StockArgs) -> StockFacts:
    """A SKU's stock at each DC (or the DCs named): on hand, in transit, allocated, available, safety stock and
    reorder point, most on hand first."""
    if args.sku is None:
        raise ToolException("name a SKU, e.g. SKU-0042")
    with tb.session() as session:
        sku = checked(session, "sku", args.sku)
        positions = _positions(session, sku, _dcs(session, args.locations))
    if not positions:
        raise ToolException(f"no DC named holds {sku}")
    rows = sorted(
        (
            StockRow(
                location=p.location,
                on_hand=p.on_hand,
                in_transit=p.in_transit,
                allocated=p.allocated,
                available=available_units(p),
                safety_stock=p.safety_stock,
                reorder_point=p.reorder_point,
            )
            for p in positions
        ),
        key=lambda row: -row.on_hand,
    )
    facts = StockFacts(
        sku=sku,
        rows=rows,
        total_on_hand=sum(r.on_hand for r in rows),
        total_available=sum(r.available for r in rows),
        evidence=[],
    )
    facts.evidence = [twin_record(f"twin:stock:{sku}", {"sku": sku, "locations": args.locations}, facts)]
    return facts


def _work_order(row: m.WorkOrder) -> WorkOrderRow:
    """A work order as the chat shows it."""
    return WorkOrderRow(
        work_order=row.id,
        kind=row.kind,
        component=row.component,
        status=row.status,
        opened_at=row.opened_at,
        scheduled_for=row.scheduled_for,
        closed_at=row.closed_at,
    )


def _next_service(orders: list[m.WorkOrder]) -> datetime | None:
    """The earliest booked service among open work orders."""
    booked = [o.scheduled_for for o in orders if o.status != "closed" and o.scheduled_for is not None]
    return min(booked) if booked else None


def truck_status(tb: Toolbox, args: TruckArgs) -> TruckFacts:
    """A truck's status, home DC, odometer, miles since service, last and next service, open and recent work
    orders, and how many stops it has today."""
    if args.asset_id is None:
        raise ToolException("name a truck, e.g. TRK-017")
    today = tb.now().date()
    with tb.session() as session:
        truck = store.row(session, m.Vehicle, checked(session, "asset_id", args.asset_id))
        orders = list(
            session.execute(
                select(m.WorkOrder)
                .where(col(m.WorkOrder.truck) == truck.code)
                .order_by(col(m.WorkOrder.opened_at).desc())
            ).scalars()
        )
        reading = session.execute(
            select(m.TelemetryReading)
            .where(col(m.TelemetryReading.truck) == truck.code)
            .order_by(col(m.TelemetryReading.at).desc())
            .limit(1)
        ).scalar_one_or_none()
        stops = session.execute(
            select(col(m.RouteStop.id))
            .join(m.Route, col(m.Route.id) == col(m.RouteStop.route_id))
            .where(col(m.Route.truck) == truck.code, col(m.Route.day) == today, col(m.Route.status) != "cancelled")
        ).all()
    facts = TruckFacts(
        asset_id=truck.code,
        home_dc=truck.home_dc,
        status=truck.status,
        model_year=truck.model_year,
        odometer_miles=round(truck.odometer_miles, 1),
        miles_since_service=round(reading.miles_since_service, 1) if reading else None,
        last_service_at=truck.last_service_at,
        next_service_at=_next_service(orders),
        open_work_orders=[_work_order(o) for o in orders if o.status != "closed"],
        recent_work_orders=[_work_order(o) for o in orders[:5]],
        stops_today=len(stops),
        evidence=[],
    )
    facts.evidence = [twin_record(f"twin:truck:{truck.code}", {"asset_id": truck.code}, facts)]
    return facts


def fleet_status(tb: Toolbox, args: FleetStatusArgs) -> FleetStatusFacts:
    """The fleet's trucks (or one DC's) with status, open work orders and next booked service, and counts per
    status."""
    with tb.session() as session:
        dc = checked(session, "location", args.location) if args.location else None
        query = select(m.Vehicle).order_by(col(m.Vehicle.code))
        if dc:
            query = query.where(col(m.Vehicle.home_dc) == dc)
        trucks = list(session.execute(query).scalars())
        orders = list(session.execute(select(m.WorkOrder).where(col(m.WorkOrder.status) != "closed")).scalars())
    by_truck: dict[str, list[m.WorkOrder]] = {}
    for order in orders:
        by_truck.setdefault(order.truck, []).append(order)
    rows = [
        FleetRow(
            asset_id=t.code,
            home_dc=t.home_dc,
            status=t.status,
            open_work_orders=len(by_truck.get(t.code, [])),
            next_service_at=_next_service(by_truck.get(t.code, [])),
        )
        for t in trucks
    ]
    by_status: dict[str, int] = {}
    for row in rows:
        by_status[row.status] = by_status.get(row.status, 0) + 1
    by_status["with_open_work_orders"] = sum(1 for r in rows if r.open_work_orders)
    facts = FleetStatusFacts(location=dc, by_status=by_status, trucks=rows, evidence=[])
    facts.evidence = [twin_record(f"twin:fleet:{dc or 'all'}", {"location": dc}, facts)]
    return facts


def _day_bounds(first: date, last: date) -> tuple[datetime, datetime]:
    """The start of the first day and of the day after the last, in UTC."""
    start = datetime.combine(first, time.min)
    return as_utc(start), as_utc(datetime.combine(last + timedelta(days=1), time.min))


def delivery_performance(tb: Toolbox, args: PerformanceArgs) -> PerformanceFacts:
    """Shipments delivered over a period (by default the last four weeks), how many arrived after their promise and
    the on-time rate, per lane or per carrier, most late first."""
    today = tb.now().date()
    last = args.last_day or today - timedelta(days=1)
    first = args.first_day or last - timedelta(days=ON_TIME_WINDOW_DAYS - 1)
    if first > last:
        raise ToolException(f"the period from {first} to {last} has not started yet: nothing was delivered in it")
    start, end = _day_bounds(first, min(last, today))
    with tb.session() as session:
        lane = checked(session, "lane", args.lane) if args.lane else None
        carriers = [checked(session, "carrier", c) for c in args.carriers]
        origin = checked(session, "location", args.origin) if args.origin else None
        destination = checked(session, "location", args.destination) if args.destination else None
        query = select(
            col(m.Shipment.lane), col(m.Shipment.carrier), col(m.Shipment.delivered_at), col(m.Shipment.promised_at)
        ).where(
            col(m.Shipment.delivered_at).is_not(None),
            col(m.Shipment.delivered_at) >= start,
            col(m.Shipment.delivered_at) < end,
        )
        if lane:
            query = query.where(col(m.Shipment.lane) == lane)
        if carriers:
            query = query.where(col(m.Shipment.carrier).in_(carriers))
        if origin:
            query = query.where(col(m.Shipment.origin) == origin)
        if destination:
            query = query.where(col(m.Shipment.lane).endswith("-" + destination.removeprefix("DC-")))
        delivered = session.execute(query).all()
    groups: dict[str, list[bool]] = {}
    for row_lane, carrier, done, promised in delivered:
        key = row_lane if args.group_by == "lane" else (carrier or "own fleet")
        groups.setdefault(key, []).append(as_utc(done) > as_utc(promised))
    rows = sorted(
        (
            PerformanceRow(
                key=key, delivered=len(flags), late=sum(flags), on_time_rate=round(1 - sum(flags) / len(flags), 3)
            )
            for key, flags in groups.items()
        ),
        key=lambda r: (-r.late, r.key),
    )
    total, late = sum(r.delivered for r in rows), sum(r.late for r in rows)
    facts = PerformanceFacts(
        group_by=args.group_by,
        first_day=first,
        last_day=last,
        delivered=total,
        late=late,
        on_time_rate=round(1 - late / total, 3) if total else None,
        rows=rows,
        evidence=[],
    )
    facts.evidence = [
        twin_record(f"twin:deliveries:{lane or 'all'}:{first}:{last}", args.model_dump(mode="json"), facts)
    ]
    return facts


def spend(tb: Toolbox, args: SpendArgs) -> SpendFacts:
    """What executed actions cost over a period (by default this week so far), per action type, most first."""
    today = tb.now().date()
    first = args.first_day or today - timedelta(days=today.weekday())
    last = args.last_day or today
    start, end = _day_bounds(first, last)
    with tb.session() as session:
        query = select(m.ActionRecord).where(
            col(m.ActionRecord.status) == "executed",
            col(m.ActionRecord.executed_at).is_not(None),
            col(m.ActionRecord.executed_at) >= start,
            col(m.ActionRecord.executed_at) < end,
        )
        if args.action_type:
            query = query.where(col(m.ActionRecord.type) == args.action_type)
        actions = list(session.execute(query).scalars())
    totals: dict[str, list[float]] = {}
    for action in actions:
        totals.setdefault(action.type, []).append(parse_action(action.type, action.params).params.cost_usd or 0.0)
    rows = sorted(
        (SpendRow(action_type=k, actions=len(v), cost_usd=round(sum(v), 2)) for k, v in totals.items()),
        key=lambda r: -r.cost_usd,
    )
    if args.action_type and not rows:
        rows = [SpendRow(action_type=args.action_type, actions=0, cost_usd=0.0)]
    facts = SpendFacts(
        first_day=first, last_day=last, total_usd=round(sum(r.cost_usd for r in rows), 2), rows=rows, evidence=[]
    )
    facts.evidence = [
        twin_record(f"twin:spend:{args.action_type or 'all'}:{first}:{last}", args.model_dump(mode="json"), facts)
    ]
    return facts


def policies(tb: Toolbox, args: PolicyArgs) -> PolicyFacts:
    """The autonomy rules in force (of one action type, or all): level, what it means, whether it needs approval,
    and its cost and confidence bounds."""
    with tb.session() as session:
        stored = policy.rules(session)
    chosen = [r for r in stored if args.action_type in (None, r.action_type)]
    if not chosen:
        chosen = [policy.FALLBACK_RULE.model_copy(update={"action_type": args.action_type})]
    rows = [
        PolicyRow(
            action_type=r.action_type,
            cohort=r.cohort,
            level=r.level,
            autonomy_level=r.autonomy_level,
            meaning=LEVELS[r.autonomy_level],
            needs_approval=_approval(r),
            max_cost_usd=r.max_cost_usd,
            min_confidence=r.min_confidence,
        )
        for r in chosen
    ]
    facts = PolicyFacts(rules=rows, evidence=[])
    facts.evidence = [twin_record(f"twin:policies:{args.action_type or 'all'}", args.model_dump(), facts)]
    return facts


def _approval(rule: policy.PolicyRule) -> str:
    """When an action under a rule needs a person's approval (never, when it is off or in shadow)."""
    if rule.level in ("off", "shadow"):
        return f"never ({rule.level}: nothing executes)"
    if rule.autonomy_level <= policy.AFTER_APPROVAL:
        return "always"
    if rule.autonomy_level == policy.WITHIN_BOUNDS:
        return "outside its bounds"
    return "only when safety-critical"


def what_if_demand(tb: Toolbox, args: DemandWhatIfArgs) -> DemandWhatIfFacts:
    """What if a SKU's demand changes by a factor at some DCs (or all) for some days: demand per DC from the
    forecast times the factor against available stock, and the day stock runs out. Played on the forecast; the
    twin is not changed."""
    if args.sku is None:
        raise ToolException("name a SKU, e.g. SKU-0042")
    first = args.first_day or tb.now().date()
    with tb.session() as session:
        sku = checked(session, "sku", args.sku)
        positions = _positions(session, sku, _dcs(session, args.locations))
        histories = {p.location: demand_history(session, sku, p.location) for p in positions}
    rows, evidence, calendar = [], [], tb.calendar()
    for p in positions:
        history = histories[p.location]
        if history.empty:
            continue
        as_of = as_day(history["day"].max())
        horizon = max(1, min(7 * MAX_WEEKS, (first - as_of).days + args.days))
        series = {"sku": sku, "location": p.location}
        outlook = forecast(tb.models.demand, history, series, horizon, as_of=as_of, calendar=calendar)
        evidence.append(outlook.evidence)
        daily = [day.p50 for day in outlook.days][-args.days :]
        rows.append(_demand_row(p, daily, args.factor, first))
    facts = DemandWhatIfFacts(
        sku=sku,
        factor=args.factor,
        first_day=first,
        days=args.days,
        rows=sorted(rows, key=lambda r: (r.runs_out_on or date.max, r.location)),
        stockouts=sum(1 for r in rows if r.runs_out_on),
        evidence=[],
    )
    facts.evidence = [
        twin_record(f"whatif:demand:{sku}:{args.factor}", args.model_dump(mode="json"), facts),
        *evidence,
    ]
    return facts


def _demand_row(position: m.InventoryPosition, daily: list[float], factor: float, first: date) -> DemandRow:
    """One DC's stock against changed daily demand: the day it runs out, if it does."""
    left, runs_out = float(available_units(position)), None
    for offset, demand in enumerate(daily):
        left -= demand * factor
        if left < 0 and runs_out is None:
            runs_out = first + timedelta(days=offset)
    base = round(sum(daily), 1)
    changed = round(base * factor, 1)
    return DemandRow(
        location=position.location,
        available=available_units(position),
        demand_p50=base,
        changed_demand=changed,
        short_units=round(max(0.0, changed - available_units(position)), 1),
        runs_out_on=runs_out,
    )


def what_if_capacity_change(tb: Toolbox, args: CapacityChangeArgs) -> CapacityChangeWhatIf:
    """What if a carrier's capacity is multiplied by a factor (on one lane or all its lanes): the solver tenders the
    week's usual loads on those lanes again at today's and at the changed capacity; the loads each carrier takes,
    freight cost, expected late loads and open loads, now and then. Nothing is changed."""
    if args.carrier is None:
        raise ToolException("name a carrier, e.g. CAR-SWIFTLINE")
    if args.factor == 1:
        raise ToolException("a factor of 1 changes nothing; give e.g. 2 for double or 0.7 for 30% less")
    with tb.session() as session:
        carrier = checked(session, "carrier", args.carrier)
        lane = checked(session, "lane", args.lane) if args.lane else None
        price = rates(session)
    situation = read_situation(tb, carrier, lane)
    if not situation.own:
        raise ToolException(f"{carrier} has no contract on {lane or 'any lane'}")
    return capacity_change(situation, args.factor, price)


def what_if_lane_closure(tb: Toolbox, args: LaneClosureArgs) -> LaneClosureWhatIf:
    """What if a lane is closed (in the direction named) for some days: its open shipments and usual loads in those
    days, each third DC to route them through with the extra freight and days, the late penalties of holding them
    until it reopens, and the totals. Nothing is changed."""
    if args.lane is None:
        raise ToolException("name a lane as travelled, e.g. DAL-HOU")
    with tb.session() as session:
        lane = checked(session, "lane", args.lane)
    return lane_closure(tb, lane, args.first_day or tb.now().date(), args.days)


def what_if_truck(tb: Toolbox, args: TruckWhatIfArgs) -> TruckWhatIfFacts:
    """What if a truck is unavailable on a day (a breakdown): the stops of its route that day, with their shipments,
    customers and promises. Nothing is re-planned or changed."""
    if args.asset_id is None:
        raise ToolException("name a truck, e.g. TRK-012")
    day = args.day or tb.now().date()
    with tb.session() as session:
        truck = checked(session, "asset_id", args.asset_id)
        route = session.execute(
            select(m.Route).where(
                col(m.Route.truck) == truck, col(m.Route.day) == day, col(m.Route.status) != "cancelled"
            )
        ).scalar_one_or_none()
        stops = []
        if route is not None:
            rows = session.execute(
                select(m.RouteStop, col(m.Shipment.promised_at))
                .join(m.Shipment, col(m.Shipment.id) == col(m.RouteStop.shipment_id))
                .where(col(m.RouteStop.route_id) == route.id)
                .order_by(col(m.RouteStop.seq))
            ).all()
            stops = [
                StopHit(seq=s.seq, shipment_id=s.shipment_id, customer=s.customer, eta_min=s.eta_min, promised_at=p)
                for s, p in rows
            ]
    facts = TruckWhatIfFacts(asset_id=truck, day=day, route_id=route.id if route else None, stops=stops, evidence=[])
    facts.evidence = [twin_record(f"whatif:truck:{truck}:{day}", args.model_dump(mode="json"), facts)]
    return facts


LOOKUPS = {
    "stock_levels": (stock_levels, StockArgs),
    "truck_status": (truck_status, TruckArgs),
    "fleet_status": (fleet_status, FleetStatusArgs),
    "delivery_performance": (delivery_performance, PerformanceArgs),
    "spend": (spend, SpendArgs),
    "policies": (policies, PolicyArgs),
    "what_if_demand": (what_if_demand, DemandWhatIfArgs),
    "what_if_truck": (what_if_truck, TruckWhatIfArgs),
    "what_if_capacity_change": (what_if_capacity_change, CapacityChangeArgs),
    "what_if_lane_closure": (what_if_lane_closure, LaneClosureArgs),
}


def lookup_tools(tb: Toolbox) -> list[BaseTool]:
    """The lookups as LangChain tools over one toolbox."""
    return [
        as_tool(name, lambda args, run=run: run(tb, args), schema, run.__doc__)
        for name, (run, schema) in LOOKUPS.items()
    ]
