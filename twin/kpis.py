"""The KPIs, each defined once here and read from the twin's history on the twin's clock.

Every KPI has a definition (its text is the field description of the API schema and the README's table), the filters
that scope it (site, lane, carrier; a KPI that a set filter cannot scope is left out as null) and a typed result that
carries the counts behind its value. `report` measures them over a period, in total and by day or week.
"""

import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, Field
from sqlmodel import Session, col, select

from twin import models as m
from twin import store
from twin.actions import BookSpot, ExpeditePurchase, ExpediteShipment, parse_action
from twin.rates import KM_PER_MILE, rate_value

Granularity = Literal["day", "week"]
Filter = Literal["site", "lane", "carrier"]
FORECAST_DAYS = 28  # the replenishment review forecasts a day's demand as the mean of the 28 days before it
EXPEDITES = ("expedite_shipment", "expedite_purchase", "book_spot")
DAYS_PER_YEAR = 365
DEFAULT_DAYS = 28  # a request without dates covers the four weeks before the twin's clock
MAX_DAYS = 366  # the longest period a request may cover


class Definition(BaseModel):
    """What a KPI measures, in its unit, and the filters that scope it."""

    key: str
    name: str
    unit: str
    text: str
    filters: tuple[Filter, ...]


DEFINITIONS = {
    d.key: d
    for d in (
        Definition(
            key="on_time_delivery",
            name="On-time delivery",
            unit="share",
            text="Shipments delivered in the period that arrived within their promised window (no later than its "
            "end, `promised_at`), over all shipments delivered in the period; dated by the delivery.",
            filters=("site", "lane", "carrier"),
        ),
        Definition(
            key="fill_rate",
            name="Fill rate",
            unit="share",
            text="Units served from stock over units demanded at the DCs in the period (the daily demand history; "
            "unmet units are demand the stock could not serve).",
            filters=("site",),
        ),
        Definition(
            key="stockout_rate",
            name="Stockout rate",
            unit="share",
            text="SKU-DC days in the period that closed with nothing on hand, over all SKU-DC days with a recorded "
            "daily stock position.",
            filters=("site",),
        ),
        Definition(
            key="inventory_turns",
            name="Inventory turns",
            unit="turns/year",
            text="The cost of the units served on the days with daily stock positions in the period, over the "
            "average closing on-hand value of those days (both at unit cost), annualised (x 365 / days).",
            filters=("site",),
        ),
        Definition(
            key="bullwhip_ratio",
            name="Bullwhip ratio",
            unit="ratio",
            text="Variance of the units ordered per day (purchase orders and transfers placed for the SKU at the DC) "
            "over the variance of the units demanded per day, per SKU-DC over the days with daily stock positions in "
            "the period (two at least); rolled up as the sum of the order variances over the sum of the demand "
            "variances. Above 1, ordering amplifies demand.",
            filters=("site",),
        ),
        Definition(
            key="unplanned_downtime",
            name="Unplanned downtime",
            unit="hours",
            text="Breakdowns (corrective work orders) opened in the period, and the hours their trucks stood from "
            "opening to closing (to the twin's clock while open); by the truck's home DC.",
            filters=("site",),
        ),
        Definition(
            key="expedite_spend",
            name="Expedite spend",
            unit="USD",
            text="The cost of the expedites executed in the period (shipment and purchase expedites, spot bookings), "
            "dated by the twin's clock at execution. Filters match what an expedite names: a shipment's origin, "
            "lane and carrier; a purchase's DC; a spot booking's carrier.",
            filters=("site", "lane", "carrier"),
        ),
        Definition(
            key="cost_to_serve",
            name="Cost to serve",
            unit="USD/shipment",
            text="Freight of the shipments that left in the period (the carrier's rate per mile on the lane; own "
            "trucks at the own-fleet rate per km) plus the expedites executed on them, per shipment (and per lane "
            "over the whole period).",
            filters=("site", "lane", "carrier"),
        ),
        Definition(
            key="forecast_accuracy",
            name="Forecast accuracy (WMAPE)",
            unit="share",
            text="Weighted mean absolute percentage error of the replenishment forecast (the mean daily demand of "
            "the 28 days before) per SKU-DC and day: the sum of absolute errors over the sum of units demanded, on "
            "the period's days with 28 days of history before them. Lower is better.",
            filters=("site",),
        ),
        Definition(
            key="routing",
            name="Routing cost and miles per stop",
            unit="USD/stop, miles/stop",
            text="Own-truck routes of the period that were not cancelled: their miles over their stops, and the cost "
            "of those miles at the own-fleet rate per km, over their stops; by the route's DC.",
            filters=("site",),
        ),
        Definition(
            key="maintenance_adherence",
            name="Maintenance schedule adherence",
            unit="share",
            text="Scheduled preventive work orders due in the period (on a day before the twin's today) that were "
            "closed by the end of their scheduled day, over all of them; by the truck's home DC.",
            filters=("site",),
        ),
    )
}


def described(key: str) -> Any:
    """A KPI's field of a KPI set: null by default, its definition as the description."""
    definition = DEFINITIONS[key]
    return Field(default=None, description=f"{definition.name} ({definition.unit}): {definition.text}")


def share(part: float, whole: float, digits: int = 4) -> float | None:
    """`part / whole` rounded, none when the whole is zero."""
    return round(part / whole, digits) if whole else None


class OnTimeDelivery(BaseModel):
    """Deliveries and those within their promised window."""

    delivered: int
    on_time: int
    rate: float | None


class FillRate(BaseModel):
    """Units demanded and served."""

    demanded_units: int
    served_units: int
    rate: float | None


class StockoutRate(BaseModel):
    """SKU-DC days recorded and those that closed with nothing on hand."""

    position_days: int
    out_of_stock: int
    rate: float | None


class InventoryTurns(BaseModel):
    """Cost of goods served and the average inventory they turned."""

    days: int
    cost_of_goods_usd: float
    average_inventory_usd: float
    annual_turns: float | None


class BullwhipRatio(BaseModel):
    """Order and demand variances summed over SKU-DC positions."""

    positions: int
    order_variance: float
    demand_variance: float
    ratio: float | None


class PositionBullwhip(BullwhipRatio):
    """The bullwhip ratio of one SKU at one DC over the period."""

    sku: str
    dc: str
    days: int


class UnplannedDowntime(BaseModel):
    """Breakdowns and the hours they cost."""

    incidents: int
    hours: float


class ExpediteSpend(BaseModel):
    """Executed expedites and their cost."""

    actions: int
    usd: float


class CostToServe(BaseModel):
    """Shipments that left, their freight and expedites."""

    shipments: int
    usd: float
    per_shipment_usd: float | None


class LaneCost(CostToServe):
    """The cost to serve on one lane over the period."""

    lane: str


class ForecastAccuracy(BaseModel):
    """Units demanded and the forecast's absolute error."""

    actual_units: int
    absolute_error_units: float
    wmape: float | None


class Routing(BaseModel):
    """Routes, stops, miles and their cost."""

    routes: int
    stops: int
    miles: float
    usd: float
    miles_per_stop: float | None
    usd_per_stop: float | None


class MaintenanceAdherence(BaseModel):
    """Scheduled services due and those kept."""

    due: int
    kept: int
    rate: float | None


class KpiSet(BaseModel):
    """Every KPI over one span of days; a KPI the filters cannot scope is null."""

    on_time_delivery: OnTimeDelivery | None = described("on_time_delivery")
    fill_rate: FillRate | None = described("fill_rate")
    stockout_rate: StockoutRate | None = described("stockout_rate")
    inventory_turns: InventoryTurns | None = described("inventory_turns")
    bullwhip_ratio: BullwhipRatio | None = described("bullwhip_ratio")
    unplanned_downtime: UnplannedDowntime | None = described("unplanned_downtime")
    expedite_spend: ExpediteSpend | None = described("expedite_spend")
    cost_to_serve: CostToServe | None = described("cost_to_serve")
    forecast_accuracy: ForecastAccuracy | None = described("forecast_accuracy")
    routing: Routing | None = described("routing")
    maintenance_adherence: MaintenanceAdherence | None = described("maintenance_adherence")


class Scope(BaseModel):
    """The days (inclusive, on the twin's clock) and the optional site, lane and carrier the KPIs cover."""

    start: date
    end: date
    site: str | None = Field(default=None, description="A DC code, e.g. DC-DAL.")
    lane: str | None = Field(default=None, description="A lane code, e.g. DAL-HOU.")
    carrier: str | None = Field(default=None, description="A carrier code.")

    def filters(self) -> set[Filter]:
        """The filters that are set."""
        named: dict[Filter, str | None] = {"site": self.site, "lane": self.lane, "carrier": self.carrier}
        return {name for name, value in named.items() if value}


class Bucket(BaseModel):
    """The KPIs of one day or week of the period (a week clipped to the period)."""

    start: date
    end: date
    kpis: KpiSet


class KpiReport(BaseModel):
    """The KPIs of a period in total and by day or week, with the bullwhip per SKU-DC and the cost per lane."""

    scope: Scope
    granularity: Granularity
    total: KpiSet
    buckets: list[Bucket]
    bullwhip_by_position: list[PositionBullwhip] = Field(
        description="The bullwhip ratio of each SKU-DC over the whole period (the site filter applies)."
    )
    cost_to_serve_by_lane: list[LaneCost] = Field(
        description="The cost to serve on each lane over the whole period (the filters apply)."
    )


class BadFilter(ValueError):
    """A filter value the twin does not know; `field` names the filter."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def check(session: Session, scope: Scope) -> None:
    """Refuse a period that runs backwards or over a year, and a site, lane or carrier the twin does not know."""
    if scope.end < scope.start:
        raise BadFilter("to", f"{scope.end} is before from {scope.start}")
    if (scope.end - scope.start).days >= MAX_DAYS:
        raise BadFilter("to", f"the period may span at most {MAX_DAYS} days")
    if scope.site and store.entity(session, "dc", scope.site) is None:
        raise BadFilter("site", f"no DC {scope.site!r}")
    if scope.lane and session.get(m.Lane, scope.lane) is None:
        raise BadFilter("lane", f"no lane {scope.lane!r}")
    if scope.carrier and session.get(m.Carrier, scope.carrier) is None:
        raise BadFilter("carrier", f"no carrier {scope.carrier!r}")


# --- the history a period's KPIs read ------------------------------------------------------------------------------

Position = tuple[str, str]  # (SKU, DC)
R = TypeVar("R")


class ByDay(Generic[R]):
    """Rows of the history filed under the twin day they belong to, read back a span of days at a time."""

    def __init__(self) -> None:
        self.days: dict[date, list[R]] = defaultdict(list)

    def add(self, day: date, row: R) -> None:
        """File a row under its day."""
        self.days[day].append(row)

    def between(self, start: date, end: date) -> list[R]:
        """The rows of the days [start, end]."""
        return [row for day in dates(start, end) for row in self.days.get(day, [])]


@dataclass
class History:
    """The rows of the twin's history a period's KPIs read, already filtered and dated on the twin's clock."""

    deliveries: ByDay[bool] = field(default_factory=ByDay)  # on time
    shipments: ByDay[tuple[str, float]] = field(default_factory=ByDay)  # lane, freight + expedites, by ship day
    demand: dict[Position, dict[date, tuple[int, int]]] = field(default_factory=dict)  # units, unmet
    on_hand: dict[Position, dict[date, int]] = field(default_factory=dict)  # closing on hand
    closes: ByDay[tuple[Position, int]] = field(default_factory=ByDay)  # the same closes by day
    fills: ByDay[tuple[int, int]] = field(default_factory=ByDay)  # units demanded and unmet, by day
    ordered: dict[Position, dict[date, int]] = field(default_factory=dict)  # units ordered that day
    unit_cost: dict[str, float] = field(default_factory=dict)
    breakdowns: ByDay[float] = field(default_factory=ByDay)  # hours down, by the day opened
    services: ByDay[bool] = field(default_factory=ByDay)  # closed by the end of the scheduled day
    expedites: ByDay[float] = field(default_factory=ByDay)  # cost, by the twin day executed
    routes: ByDay[tuple[int, float]] = field(default_factory=ByDay)  # stops, miles
    forecasts: ByDay[tuple[int, float]] = field(default_factory=ByDay)  # units, the forecast's absolute error
    own_usd_per_km: float = 0.0


def dates(start: date, end: date) -> list[date]:
    """Every day of [start, end]."""
    return [start + timedelta(days=offset) for offset in range((end - start).days + 1)]


def moment(day: date) -> datetime:
    """Midnight UTC at the start of a day."""
    return datetime.combine(day, time.min, tzinfo=UTC)


def aware(value: datetime) -> datetime:
    """A UTC-aware datetime (SQLite hands naive ones back)."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def freight_usd(rate_per_mile: float | None, own_usd_per_km: float, miles: float) -> float:
    """The freight of a shipment: the carrier's rate per mile on its lane, or the own-fleet rate for own trucks."""
    per_mile = rate_per_mile if rate_per_mile is not None else own_usd_per_km * KM_PER_MILE
    return per_mile * miles


def load(session: Session, scope: Scope) -> History:
    """The history rows the KPIs of a scope read (demand from the forecast window before its start)."""
    history = History(own_usd_per_km=rate_value(session, "own_fleet_usd_per_km"))
    expedite_rows = _expedites(session)
    for day, usd, named in expedite_rows:
        if _names(named, scope):
            history.expedites.add(day, usd)
    _shipping(session, scope, history, expedite_rows)
    _stock(session, scope, history)
    _fleet(session, scope, history)
    return history


def _fleet(session: Session, scope: Scope, history: History) -> None:
    """Breakdowns opened and preventive services due in the scope (by the truck's home DC), and the routes run."""
    now = store.as_of(session) or datetime.now(UTC)
    since, until = moment(scope.start), moment(scope.end + timedelta(days=1))
    homes = {v.code: v.home_dc for v in session.exec(select(m.Vehicle)).all()}
    for opened, closed, truck in session.exec(
        select(col(m.WorkOrder.opened_at), col(m.WorkOrder.closed_at), col(m.WorkOrder.truck)).where(
            col(m.WorkOrder.kind) == "corrective",
            col(m.WorkOrder.opened_at) >= since,
            col(m.WorkOrder.opened_at) < until,
        )
    ).all():
        if scope.site in (None, homes.get(truck)):
            hours = ((aware(closed) if closed else now) - aware(opened)).total_seconds() / 3600
            history.breakdowns.add(aware(opened).date(), hours)
    for scheduled, closed, truck in session.exec(
        select(col(m.WorkOrder.scheduled_for), col(m.WorkOrder.closed_at), col(m.WorkOrder.truck)).where(
            col(m.WorkOrder.kind) == "preventive",
            col(m.WorkOrder.scheduled_for) >= since,
            col(m.WorkOrder.scheduled_for) < min(until, moment(now.date())),
        )
    ).all():
        if scheduled is not None and scope.site in (None, homes.get(truck)):
            due = aware(scheduled).date()
            history.services.add(due, closed is not None and aware(closed).date() <= due)
    stops: dict[str, int] = defaultdict(int)
    for route_id in session.exec(
        select(col(m.RouteStop.route_id))
        .join(m.Route)
        .where(col(m.Route.day) >= scope.start, col(m.Route.day) <= scope.end)
    ).all():
        stops[route_id] += 1
    for route in session.exec(
        select(m.Route).where(
            col(m.Route.day) >= scope.start, col(m.Route.day) <= scope.end, col(m.Route.status) != "cancelled"
        )
    ).all():
        if scope.site in (None, route.dc):
            history.routes.add(route.day, (stops[route.id], route.distance_miles))


@dataclass(frozen=True)
class Named:
    """The site, lane, carrier and shipment an executed expedite names (none where it names nothing)."""

    site: str | None = None
    lane: str | None = None
    carrier: str | None = None
    shipment: str | None = None


def _names(named: Named, scope: Scope) -> bool:
    """Whether an expedite falls under the scope's filters: each set filter must be named by it."""
    return all(
        wanted is None or wanted == have
        for wanted, have in ((scope.site, named.site), (scope.lane, named.lane), (scope.carrier, named.carrier))
    )


def _expedites(session: Session) -> list[tuple[date, float, Named]]:
    """Executed expedites with the twin's day of their execution, their cost and what they name."""
    rows: list[tuple[date, float, Named]] = []
    for record in session.exec(
        select(m.ActionRecord).where(
            col(m.ActionRecord.type).in_(EXPEDITES),
            col(m.ActionRecord.status) == "executed",
            col(m.ActionRecord.twin_at).is_not(None),
        )
    ).all():
        action = parse_action(record.type, record.params)
        named = Named()
        match action:
            case ExpediteShipment(params=p):
                shipment = session.get(m.Shipment, p.shipment_id)
                if shipment is not None:
                    named = Named(shipment.origin, shipment.lane, shipment.carrier, shipment.id)
            case ExpeditePurchase(params=p):
                named = Named(site=p.location)
            case BookSpot(params=p):
                named = Named(carrier=p.from_carrier)
            case _:
                pass
        if record.twin_at is not None:
            rows.append((aware(record.twin_at).date(), action.params.cost_usd or 0.0, named))
    return rows


def _shipping(session: Session, scope: Scope, history: History, expedite_rows: list[tuple[date, float, Named]]) -> None:
    """Deliveries and shipments of the scope, the shipments priced with their freight and expedites."""
    since, until = moment(scope.start), moment(scope.end + timedelta(days=1))
    where = [
        *([col(m.Shipment.origin) == scope.site] if scope.site else []),
        *([col(m.Shipment.lane) == scope.lane] if scope.lane else []),
        *([col(m.Shipment.carrier) == scope.carrier] if scope.carrier else []),
    ]
    for delivered, promised in session.exec(
        select(col(m.Shipment.delivered_at), col(m.Shipment.promised_at)).where(
            col(m.Shipment.delivered_at) >= since, col(m.Shipment.delivered_at) < until, *where
        )
    ).all():
        if delivered is not None:
            history.deliveries.add(aware(delivered).date(), aware(delivered) <= aware(promised))
    rates: dict[tuple[str | None, str], float] = {
        (o.carrier, o.lane): o.rate_per_mile for o in session.exec(select(m.CarrierLane)).all()
    }
    expedited: dict[str, float] = defaultdict(float)
    for _day, usd, named in expedite_rows:
        if named.shipment:
            expedited[named.shipment] += usd
    for shipment in session.exec(
        select(m.Shipment).where(col(m.Shipment.shipped_at) >= since, col(m.Shipment.shipped_at) < until, *where)
    ).all():
        usd = freight_usd(
            rates.get((shipment.carrier, shipment.lane)), history.own_usd_per_km, shipment.distance_miles
        ) + expedited.get(shipment.id, 0.0)
        history.shipments.add(aware(shipment.shipped_at).date(), (shipment.lane, usd))


def _stock(session: Session, scope: Scope, history: History) -> None:
    """Demand (from the forecast window before the scope), closing stock and orders placed per SKU-DC and day."""
    site = [col(m.DemandHistory.location) == scope.site] if scope.site else []
    for key, day, units, unmet in session.exec(
        select(
            col(m.DemandHistory.sku) + "@" + col(m.DemandHistory.location),
            col(m.DemandHistory.day),
            col(m.DemandHistory.units),
            col(m.DemandHistory.unmet),
        ).where(
            col(m.DemandHistory.day) >= scope.start - timedelta(days=FORECAST_DAYS),
            col(m.DemandHistory.day) <= scope.end,
            *site,
        )
    ).all():
        sku, dc = key.split("@")
        history.demand.setdefault((sku, dc), {})[day] = (units, unmet)
        if day >= scope.start:
            history.fills.add(day, (units, unmet))
    for day, units, error in forecast_errors(history.demand, scope.start):
        history.forecasts.add(day, (units, error))
    for sku, dc, day, on_hand in session.exec(
        select(col(m.StockDay.sku), col(m.StockDay.location), col(m.StockDay.day), col(m.StockDay.on_hand)).where(
            col(m.StockDay.day) >= scope.start,
            col(m.StockDay.day) <= scope.end,
            *([col(m.StockDay.location) == scope.site] if scope.site else []),
        )
    ).all():
        history.on_hand.setdefault((sku, dc), {})[day] = on_hand
        history.closes.add(day, ((sku, dc), on_hand))
    since, until = moment(scope.start), moment(scope.end + timedelta(days=1))
    placed: Iterable[tuple[str, str, datetime, int | float]] = [
        *session.exec(
            select(
                col(m.PurchaseOrder.sku),
                col(m.PurchaseOrder.location),
                col(m.PurchaseOrder.created_at),
                col(m.PurchaseOrder.qty),
            ).where(col(m.PurchaseOrder.created_at) >= since, col(m.PurchaseOrder.created_at) < until)
        ).all(),
        *session.exec(
            select(
                col(m.TransferOrder.sku),
                col(m.TransferOrder.destination),
                col(m.TransferOrder.created_at),
                col(m.TransferOrder.qty),
            ).where(col(m.TransferOrder.created_at) >= since, col(m.TransferOrder.created_at) < until)
        ).all(),
    ]
    for sku, dc, created, qty in placed:
        if scope.site in (None, dc):
            days = history.ordered.setdefault((sku, dc), {})
            days[aware(created).date()] = days.get(aware(created).date(), 0) + int(qty)
    history.unit_cost = {sku.code: sku.unit_cost for sku in session.exec(select(m.Sku)).all()}


# --- the KPIs over a span of days ----------------------------------------------------------------------------------


def on_time_delivery(h: History, start: date, end: date) -> OnTimeDelivery:
    """On-time delivery over the span."""
    outcomes = h.deliveries.between(start, end)
    return OnTimeDelivery(delivered=len(outcomes), on_time=sum(outcomes), rate=share(sum(outcomes), len(outcomes)))


def fill_rate(h: History, start: date, end: date) -> FillRate:
    """Fill rate over the span."""
    days = h.fills.between(start, end)
    demanded = sum(units for units, _unmet in days)
    served = demanded - sum(unmet for _units, unmet in days)
    return FillRate(demanded_units=demanded, served_units=served, rate=share(served, demanded))


def stockout_rate(h: History, start: date, end: date) -> StockoutRate:
    """Stockout rate over the span."""
    closes = [stock for _position, stock in h.closes.between(start, end)]
    out = sum(stock <= 0 for stock in closes)
    return StockoutRate(position_days=len(closes), out_of_stock=out, rate=share(out, len(closes)))


def inventory_turns(h: History, start: date, end: date) -> InventoryTurns:
    """Annualised inventory turns over the span's days with stock positions."""
    days = [day for day in dates(start, end) if h.closes.days.get(day)]
    cogs = held = 0.0
    for day in days:
        for (sku, dc), stock in h.closes.days[day]:
            cost = h.unit_cost.get(sku, 0.0)
            units, unmet = h.demand.get((sku, dc), {}).get(day, (0, 0))
            held += max(stock, 0) * cost
            cogs += (units - unmet) * cost
    average = held / len(days) if days else 0.0
    turns = cogs / average * DAYS_PER_YEAR / len(days) if days and average else None
    return InventoryTurns(
        days=len(days),
        cost_of_goods_usd=round(cogs, 2),
        average_inventory_usd=round(average, 2),
        annual_turns=round(turns, 2) if turns is not None else None,
    )


def position_bullwhip(h: History, start: date, end: date) -> list[PositionBullwhip]:
    """The bullwhip ratio of each SKU-DC with two days or more of stock positions in the span."""
    rows: list[PositionBullwhip] = []
    span = dates(start, end)
    for (sku, dc), series in sorted(h.on_hand.items()):
        days = [day for day in span if day in series]
        if len(days) < 2:
            continue
        demand, ordered = h.demand.get((sku, dc), {}), h.ordered.get((sku, dc), {})
        orders = statistics.pvariance([ordered.get(day, 0) for day in days])
        demanded = statistics.pvariance([demand.get(day, (0, 0))[0] for day in days])
        rows.append(
            PositionBullwhip(
                sku=sku,
                dc=dc,
                days=len(days),
                positions=1,
                order_variance=round(orders, 4),
                demand_variance=round(demanded, 4),
                ratio=share(orders, demanded),
            )
        )
    return rows


def bullwhip_ratio(h: History, start: date, end: date) -> BullwhipRatio:
    """The bullwhip ratio rolled up over the SKU-DC positions."""
    rows = position_bullwhip(h, start, end)
    orders, demanded = sum(r.order_variance for r in rows), sum(r.demand_variance for r in rows)
    return BullwhipRatio(
        positions=len(rows),
        order_variance=round(orders, 4),
        demand_variance=round(demanded, 4),
        ratio=share(orders, demanded),
    )


def unplanned_downtime(h: History, start: date, end: date) -> UnplannedDowntime:
    """Breakdowns and their hours over the span."""
    hours = h.breakdowns.between(start, end)
    return UnplannedDowntime(incidents=len(hours), hours=round(sum(hours), 1))


def expedite_spend(h: History, start: date, end: date) -> ExpediteSpend:
    """Expedite spend over the span."""
    costs = h.expedites.between(start, end)
    return ExpediteSpend(actions=len(costs), usd=round(sum(costs), 2))


def cost_to_serve(h: History, start: date, end: date) -> CostToServe:
    """Cost to serve per shipment over the span."""
    costs = [usd for _lane, usd in h.shipments.between(start, end)]
    total = sum(costs)
    return CostToServe(shipments=len(costs), usd=round(total, 2), per_shipment_usd=share(total, len(costs), 2))


def lane_costs(h: History, start: date, end: date) -> list[LaneCost]:
    """Cost to serve per shipment on each lane over the span."""
    by_lane: dict[str, list[float]] = defaultdict(list)
    for lane, usd in h.shipments.between(start, end):
        by_lane[lane].append(usd)
    return [
        LaneCost(
            lane=lane, shipments=len(costs), usd=round(sum(costs), 2), per_shipment_usd=share(sum(costs), len(costs), 2)
        )
        for lane, costs in sorted(by_lane.items())
    ]


def forecast_accuracy(h: History, start: date, end: date) -> ForecastAccuracy:
    """WMAPE of the trailing-mean forecast over the span's days with a full forecast window before them."""
    days = h.forecasts.between(start, end)
    actual, error = sum(units for units, _ in days), sum(error for _, error in days)
    return ForecastAccuracy(actual_units=actual, absolute_error_units=round(error, 2), wmape=share(error, actual))


def forecast_errors(demand: dict[Position, dict[date, tuple[int, int]]], start: date) -> list[tuple[date, int, float]]:
    """Each SKU-DC day from `start` with `FORECAST_DAYS` of demand before it: its units and the absolute error of
    their mean as its forecast (a window slid over each series once)."""
    rows: list[tuple[date, int, float]] = []
    for series in demand.values():
        total, present = 0, 0  # units and days recorded in the window of the `FORECAST_DAYS` before `day`
        for day in dates(min(series), max(series)):
            today = series.get(day)
            if today is not None and present == FORECAST_DAYS and day >= start:
                rows.append((day, today[0], abs(today[0] - total / FORECAST_DAYS)))
            if today is not None:
                total, present = total + today[0], present + 1
            gone = series.get(day - timedelta(days=FORECAST_DAYS))
            if gone is not None:
                total, present = total - gone[0], present - 1
    return rows


def routing(h: History, start: date, end: date) -> Routing:
    """Routing miles and cost per stop over the span."""
    runs = h.routes.between(start, end)
    stops, miles = sum(s for s, _ in runs), sum(mi for _, mi in runs)
    usd = miles * h.own_usd_per_km * KM_PER_MILE
    return Routing(
        routes=len(runs),
        stops=stops,
        miles=round(miles, 1),
        usd=round(usd, 2),
        miles_per_stop=share(miles, stops, 2),
        usd_per_stop=share(usd, stops, 2),
    )


def maintenance_adherence(h: History, start: date, end: date) -> MaintenanceAdherence:
    """Schedule adherence of preventive work orders due in the span."""
    kept = h.services.between(start, end)
    return MaintenanceAdherence(due=len(kept), kept=sum(kept), rate=share(sum(kept), len(kept)))


MEASURES: dict[str, Callable[[History, date, date], BaseModel]] = {
    "on_time_delivery": on_time_delivery,
    "fill_rate": fill_rate,
    "stockout_rate": stockout_rate,
    "inventory_turns": inventory_turns,
    "bullwhip_ratio": bullwhip_ratio,
    "unplanned_downtime": unplanned_downtime,
    "expedite_spend": expedite_spend,
    "cost_to_serve": cost_to_serve,
    "forecast_accuracy": forecast_accuracy,
    "routing": routing,
    "maintenance_adherence": maintenance_adherence,
}


def measure(h: History, scope: Scope, start: date, end: date) -> KpiSet:
    """Every KPI the scope's filters can scope, over [start, end]."""
    filters = scope.filters()
    return KpiSet.model_validate(
        {
            key: MEASURES[key](h, start, end)
            for key, definition in DEFINITIONS.items()
            if filters <= set(definition.filters)
        }
    )


def spans(start: date, end: date, granularity: Granularity) -> list[tuple[date, date]]:
    """The days, or the Monday-first weeks clipped to [start, end], of a period."""
    out: list[tuple[date, date]] = []
    first = start
    while first <= end:
        last = first if granularity == "day" else min(end, first + timedelta(days=6 - first.weekday()))
        out.append((first, last))
        first = last + timedelta(days=1)
    return out


def report(session: Session, scope: Scope, granularity: Granularity = "day") -> KpiReport:
    """The KPIs of a checked scope, in total and by day or week."""
    check(session, scope)
    h = load(session, scope)
    return KpiReport(
        scope=scope,
        granularity=granularity,
        total=measure(h, scope, scope.start, scope.end),
        buckets=[
            Bucket(start=first, end=last, kpis=measure(h, scope, first, last))
            for first, last in spans(scope.start, scope.end, granularity)
        ],
        bullwhip_by_position=position_bullwhip(h, scope.start, scope.end) if scope.filters() <= {"site"} else [],
        cost_to_serve_by_lane=lane_costs(h, scope.start, scope.end),
    )


def scope_of(
    session: Session,
    start: date | None = None,
    end: date | None = None,
    site: str | None = None,
    lane: str | None = None,
    carrier: str | None = None,
) -> Scope:
    """The scope a request names: `end` defaults to the day before the twin's clock (or to `start` when that is
    later), `start` to the `DEFAULT_DAYS` ending at `end`."""
    yesterday = (store.as_of(session) or datetime.now(UTC)).date() - timedelta(days=1)
    last = end or max(yesterday, start or yesterday)
    first = start or last - timedelta(days=DEFAULT_DAYS - 1)
    return Scope(start=first, end=last, site=site, lane=lane, carrier=carrier)
