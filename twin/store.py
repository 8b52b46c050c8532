"""Queries and commands over the twin that the API, detectors and specialists share."""

import hashlib
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Integer, func
from sqlalchemy import select as core_select
from sqlmodel import Session, SQLModel, col, select
from sqlmodel.sql.expression import Select as SelectModel

from twin import models as m
from twin.network import STANDARD_LEAD_DAYS

PlanRows = SelectModel[m.DecisionRecord, Any, Any]  # a plan decision, its plan type and planned day (ISO text)

SCENARIO_TABLES = (
    m.TwinMeta,
    m.Location,
    m.Sku,
    m.SupplyTerm,
    m.InventoryPosition,
    m.DemandHistory,
    m.StockDay,
    m.CalendarDay,
    m.RegionCondition,
    m.Order,
    m.OrderLine,
    m.Carrier,
    m.Lane,
    m.CarrierLane,
    m.Shipment,
    m.ScanEvent,
    m.Vehicle,
    m.TelemetryReading,
    m.WorkOrder,
    m.Route,
    m.RouteStop,
    m.TransferOrder,
    m.PurchaseOrder,
)

# The table each kind of twin entity lives in, by the kind's name (a location is a DC or a customer).
ENTITY_TABLES: dict[str, type[SQLModel]] = {
    "shipment": m.Shipment,
    "carrier": m.Carrier,
    "sku": m.Sku,
    "truck": m.Vehicle,
    "lane": m.Lane,
    "dc": m.Location,
    "customer": m.Location,
    "decision": m.DecisionRecord,
}


R = TypeVar("R", bound=SQLModel)


def row(session: Session, table: type[R], key: str) -> R:
    """The row of `table` with this primary key, which must exist (LookupError naming it otherwise)."""
    found = session.get(table, key)
    if found is None:
        raise LookupError(f"no {table.__name__} {key!r}")
    return found


def entity(session: Session, kind: str, code: str) -> SQLModel | None:
    """The twin's entity of this kind with this code, or None (a location only when it is of that kind)."""
    row = session.get(ENTITY_TABLES[kind], code)
    return row if row is not None and getattr(row, "kind", kind) == kind else None


def count(session: Session, table: type[SQLModel], *where: ColumnElement[bool]) -> int:
    """Number of rows of a table matching the conditions."""
    return session.exec(select(func.count()).select_from(table).where(*where)).one()


def meta(session: Session) -> dict[str, str]:
    """The scenario facts stored by the generator (seed, as_of, history span)."""
    return {row.key: row.value for row in session.exec(select(m.TwinMeta))}


def latest_plans(types: Iterable[str], day: date) -> PlanRows:
    """The plans in force on a day: of each of these exception types, the decision on the latest planned day
    (`refs.day`) on or before it, the newest made when a day was planned twice; rows of the decision, its plan type and
    planned day (labelled `plan_type` and `day`), ordered by plan type."""
    planned = col(m.ExceptionRecord.refs)["day"].as_string()
    ranked = (
        select(
            col(m.DecisionRecord.id).label("decision_id"),
            col(m.ExceptionRecord.type).label("plan_type"),
            planned.label("day"),
            func.row_number()
            .over(
                partition_by=col(m.ExceptionRecord.type),
                order_by=(planned.desc(), col(m.DecisionRecord.created_at).desc(), col(m.DecisionRecord.id).desc()),
            )
            .label("rank"),
        )
        .join(m.ExceptionRecord, col(m.ExceptionRecord.id) == col(m.DecisionRecord.exception_id))
        .where(col(m.ExceptionRecord.type).in_(list(types)), planned <= day.isoformat())
        .subquery()
    )
    return (
        select(m.DecisionRecord, ranked.c.plan_type, ranked.c.day)
        .join(ranked, ranked.c.decision_id == col(m.DecisionRecord.id))
        .where(ranked.c.rank == 1)
        .order_by(ranked.c.plan_type)
    )


def as_of(session: Session) -> datetime | None:
    """The twin's clock: the moment the loaded scenario stands at (its row, by key)."""
    found = session.get(m.TwinMeta, "as_of")
    return datetime.fromisoformat(found.value) if found and found.value else None


def clock(session: Session) -> datetime:
    """The twin's clock, which a loaded scenario always has (RuntimeError otherwise)."""
    moment = as_of(session)
    if moment is None:
        raise RuntimeError("no scenario is loaded; run `yardmaster seed`")
    return moment


def set_clock(session: Session, moment: datetime) -> None:
    """Move the twin's clock to `moment` (in the caller's transaction)."""
    meta = row(session, m.TwinMeta, "as_of")
    meta.value = moment.isoformat()
    session.add(meta)


def summary(session: Session) -> dict[str, Any]:
    """Counts of the network and its history, for the summary endpoint and the CLI."""
    facts = meta(session)
    return {
        "seed": int(facts["seed"]) if "seed" in facts else None,
        "as_of": facts.get("as_of"),
        "history_days": int(facts.get("history_days", 0)),
        "dcs": count(session, m.Location, col(m.Location.kind) == "dc"),
        "customers": count(session, m.Location, col(m.Location.kind) == "customer"),
        "skus": count(session, m.Sku),
        "carriers": count(session, m.Carrier),
        "lanes": count(session, m.Lane),
        "trucks": count(session, m.Vehicle),
        "shipments": count(session, m.Shipment),
        "open_shipments": count(session, m.Shipment, col(m.Shipment.status) != "delivered"),
        "scan_events": count(session, m.ScanEvent),
        "telemetry_readings": count(session, m.TelemetryReading),
        "demand_rows": count(session, m.DemandHistory),
        "open_exceptions": count(session, m.ExceptionRecord, col(m.ExceptionRecord.status) == "open"),
    }


def _canonical(value: object) -> str:
    """A stable text form of a column value, the same on SQLite and PostgreSQL."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, float):
        return repr(round(value, 6))
    return repr(value)


def content_hash(session: Session) -> str:
    """A SHA-256 over every scenario table's rows in primary-key order, ignoring surrogate ids."""
    digest = hashlib.sha256()
    for model in SCENARIO_TABLES:
        table = m.table_of(model)
        surrogate = [c.name for c in table.primary_key.columns] == ["id"] and isinstance(table.c.id.type, Integer)
        columns = [c for c in table.columns if not (surrogate and c.name == "id")]
        order = columns if surrogate else list(table.primary_key.columns)
        digest.update(table.name.encode())
        for row in session.connection().execute(core_select(*columns).order_by(*order)):
            digest.update("|".join(map(_canonical, row)).encode())
    return digest.hexdigest()


def customer_tier(session: Session, code: str) -> str:
    """A customer's service tier (standard when unknown)."""
    location = session.get(m.Location, code)
    return location.tier if location else "standard"


def carrier_lanes(session: Session, lane: str | None = None, carrier: str | None = None) -> list[m.CarrierLane]:
    """Carrier offers, filtered by lane and/or carrier."""
    statement = select(m.CarrierLane).order_by(col(m.CarrierLane.lane), col(m.CarrierLane.carrier))
    if lane:
        statement = statement.where(col(m.CarrierLane.lane) == lane)
    if carrier:
        statement = statement.where(col(m.CarrierLane.carrier) == carrier)
    return list(session.exec(statement))


def weekly_loads(session: Session, until: datetime, weeks: int = 8) -> dict[tuple[str, str], float]:
    """Average loads per week of each (carrier, lane) over the last weeks."""
    since = until - timedelta(weeks=weeks)
    rows = session.exec(
        select(col(m.Shipment.carrier), col(m.Shipment.lane), func.count())
        .where(
            col(m.Shipment.carrier).is_not(None),
            col(m.Shipment.shipped_at) >= since,
            col(m.Shipment.shipped_at) < until,
        )
        .group_by(col(m.Shipment.carrier), col(m.Shipment.lane))
    ).all()
    return {(carrier, lane): total / weeks for carrier, lane, total in rows if carrier is not None}


def daily_lane_tier_loads(session: Session, day: date, weeks: int = 4) -> dict[tuple[str, str], float]:
    """Average carrier loads a day on each (lane, customer tier) over the last weeks' days of the same kind as `day`
    (weekdays or weekend days)."""
    until = datetime.combine(day, datetime.min.time(), tzinfo=UTC)
    since = until - timedelta(weeks=weeks)
    rows = session.exec(
        select(col(m.Shipment.lane), col(m.Location.tier), col(m.Shipment.shipped_at))
        .join(m.Location, col(m.Location.code) == col(m.Shipment.destination))
        .where(col(m.Shipment.carrier).is_not(None), col(m.Shipment.shipped_at) >= since)
        .where(col(m.Shipment.shipped_at) < until)
    ).all()
    weekend = day.weekday() >= 5
    days = sum(1 for k in range(1, 7 * weeks + 1) if ((day - timedelta(days=k)).weekday() >= 5) == weekend)
    loads: dict[tuple[str, str], float] = {}
    for lane, tier, shipped_at in rows:
        if (shipped_at.weekday() >= 5) == weekend:
            loads[lane, tier] = loads.get((lane, tier), 0.0) + 1 / days
    return loads


def lane_tier_on_time(session: Session) -> dict[tuple[str, str], tuple[int, int]]:
    """Delivered carrier shipments and how many of them arrived on time, per lane and customer tier."""
    on_time = func.sum(func.cast(col(m.Shipment.delivered_at) <= col(m.Shipment.promised_at), Integer))
    rows = session.exec(
        select(col(m.Shipment.lane), col(m.Location.tier), func.count(), on_time)
        .join(m.Location, col(m.Location.code) == col(m.Shipment.destination))
        .where(col(m.Shipment.carrier).is_not(None), col(m.Shipment.delivered_at).is_not(None))
        .group_by(col(m.Shipment.lane), col(m.Location.tier))
    ).all()
    return {(lane, tier): (int(count), int(punctual or 0)) for lane, tier, count, punctual in rows}


def positions(session: Session, sku: str) -> list[m.InventoryPosition]:
    """The stock positions of a SKU at every DC."""
    statement = (
        select(m.InventoryPosition)
        .where(col(m.InventoryPosition.sku) == sku)
        .order_by(col(m.InventoryPosition.location))
    )
    return list(session.exec(statement))


def position(session: Session, sku: str, location: str) -> m.InventoryPosition | None:
    """The stock position of a SKU at a location, if the twin holds it."""
    return session.exec(
        select(m.InventoryPosition).where(
            col(m.InventoryPosition.sku) == sku, col(m.InventoryPosition.location) == location
        )
    ).first()


def supply_term(session: Session, sku: str) -> m.SupplyTerm:
    """How a SKU is bought (a SKU with no stored terms is bought at the standard replenishment lead time)."""
    return session.get(m.SupplyTerm, sku) or m.SupplyTerm(
        sku=sku,
        supplier="unknown",
        supplier_name="unknown supplier",
        regular_lead_days=STANDARD_LEAD_DAYS,
        expedited_lead_days=STANDARD_LEAD_DAYS,
        source="no supply agreement stored",
    )


def dcs(session: Session) -> list[m.Location]:
    """The distribution centres."""
    return list(session.exec(select(m.Location).where(col(m.Location.kind) == "dc").order_by(col(m.Location.code))))


def latest_route_load(session: Session, dc: str | None = None) -> tuple[date | None, float]:
    """The latest day of routes, of one DC or of the fleet, and the deliveries an own truck ran on it (stops per
    route)."""
    of_dc = [col(m.Route.dc) == dc] if dc else []
    latest = session.exec(select(func.max(col(m.Route.day))).where(*of_dc)).one()
    where = [col(m.Route.day) == latest, *of_dc]
    routes = count(session, m.Route, *where)
    stops = session.exec(select(func.count()).select_from(m.RouteStop).join(m.Route).where(*where)).one()
    return latest, stops / routes if routes else 0.0


def routes_on(session: Session, day: date, dc: str) -> list[tuple[m.Route, list[m.RouteStop]]]:
    """A DC's active routes of a day with their stops in sequence."""
    routes = session.exec(
        select(m.Route)
        .where(col(m.Route.day) == day, col(m.Route.dc) == dc, col(m.Route.status) != "cancelled")
        .order_by(col(m.Route.truck))
    )
    return [
        (
            route,
            list(
                session.exec(
                    select(m.RouteStop).where(col(m.RouteStop.route_id) == route.id).order_by(col(m.RouteStop.seq))
                )
            ),
        )
        for route in routes
    ]


def open_orders(session: Session, sku: str, dc: str, until: date) -> list[tuple[m.Order, int]]:
    """Orders not yet shipped from a DC that need a SKU by a date, with the quantity."""
    rows = session.exec(
        select(m.Order, col(m.OrderLine.qty))
        .join(m.OrderLine, col(m.OrderLine.order_id) == col(m.Order.id))
        .where(
            col(m.Order.dc) == dc,
            col(m.Order.status) == "open",
            col(m.OrderLine.sku) == sku,
            col(m.Order.promised_date) <= until,
        )
        .order_by(col(m.Order.promised_date), col(m.Order.id))
    ).all()
    return [(order, qty) for order, qty in rows]


# --- Demand of one SKU, for the inventory specialist -------------------------------------------------------------


def sku_demand(session: Session, sku: str) -> list[tuple[m.DemandHistory, str | None, str | None]]:
    """A SKU's daily demand at every DC, by DC and day, with the day's holiday and event."""
    rows = session.exec(
        select(m.DemandHistory, col(m.CalendarDay.holiday), col(m.CalendarDay.event))
        .join(m.CalendarDay, col(m.CalendarDay.day) == col(m.DemandHistory.day), isouter=True)
        .where(col(m.DemandHistory.sku) == sku)
        .order_by(col(m.DemandHistory.location), col(m.DemandHistory.day))
    ).all()
    return [(demand, holiday, event) for demand, holiday, event in rows]


# --- Fleet and workshops, for the maintenance specialist -----------------------------------------------------


def fleet(session: Session, dc: str | None = None) -> list[m.Vehicle]:
    """The own-fleet trucks, of one home DC or all, by code."""
    statement = select(m.Vehicle).order_by(col(m.Vehicle.code))
    if dc:
        statement = statement.where(col(m.Vehicle.home_dc) == dc)
    return list(session.exec(statement))


def fleet_deliveries_by_weekday(session: Session, dc: str, since: datetime, until: datetime) -> list[int]:
    """Deliveries a DC's own trucks ran on each weekday (Monday first) between two moments."""
    shipped = session.exec(
        select(col(m.Shipment.shipped_at)).where(
            col(m.Shipment.origin) == dc,
            col(m.Shipment.truck).is_not(None),
            col(m.Shipment.shipped_at) >= since,
            col(m.Shipment.shipped_at) < until,
        )
    )
    counts = [0] * 7
    for at in shipped:
        counts[at.weekday()] += 1
    return counts


def open_work_orders(session: Session, truck: str) -> list[m.WorkOrder]:
    """A truck's work orders that are open or scheduled, earliest first."""
    statement = (
        select(m.WorkOrder)
        .where(col(m.WorkOrder.truck) == truck, col(m.WorkOrder.status).in_(("open", "scheduled")))
        .order_by(col(m.WorkOrder.scheduled_for), col(m.WorkOrder.id))
    )
    return list(session.exec(statement))


def trucks_with_open_work_orders(session: Session) -> set[str]:
    """The trucks that have a work order not yet closed."""
    statement = select(col(m.WorkOrder.truck)).where(col(m.WorkOrder.status) != "closed")
    return set(session.exec(statement))


# --- One view of resources: workshop bays, trucks, carrier capacity, notifications, rates --------------------


def workshop_bookings(session: Session, dc: str, day: date) -> list[m.WorkOrder]:
    """Work orders that hold a bay of a DC's workshop on a day (the trucks are off the road that day)."""
    start = datetime.combine(day, datetime.min.time(), tzinfo=UTC)
    statement = (
        select(m.WorkOrder)
        .where(
            col(m.WorkOrder.bay_dc) == dc,
            col(m.WorkOrder.status).in_(("open", "scheduled")),
            col(m.WorkOrder.scheduled_for) >= start,
            col(m.WorkOrder.scheduled_for) < start + timedelta(days=1),
        )
        .order_by(col(m.WorkOrder.truck))
    )
    return list(session.exec(statement))


def week_start(moment: datetime) -> date:
    """The Monday of a moment's week."""
    return moment.date() - timedelta(days=moment.weekday())


def booked_loads(session: Session, moment: datetime) -> dict[str, float]:
    """Loads decisions booked with each carrier for the week of a moment."""
    rows = session.exec(
        select(col(m.CarrierBooking.carrier), func.sum(col(m.CarrierBooking.loads)))
        .where(col(m.CarrierBooking.week_start) == week_start(moment))
        .group_by(col(m.CarrierBooking.carrier))
    ).all()
    return {carrier: float(loads) for carrier, loads in rows}


def remaining_capacity(
    session: Session, moment: datetime, usual: dict[tuple[str, str], float] | None = None
) -> dict[str, float]:
    """Each carrier's weekly capacity left: capacity less its usual weekly loads (`weekly_loads`, read unless given)
    and this week's bookings."""
    used: dict[str, float] = {}
    for (carrier, _lane), loads in (weekly_loads(session, moment) if usual is None else usual).items():
        used[carrier] = used.get(carrier, 0.0) + loads
    for carrier, loads in booked_loads(session, moment).items():
        used[carrier] = used.get(carrier, 0.0) + loads
    carriers = session.exec(select(m.Carrier).order_by(col(m.Carrier.code)))
    return {c.code: max(0.0, round(c.capacity_per_week - used.get(c.code, 0.0), 1)) for c in carriers}


def last_notification(session: Session, shipment_id: str) -> m.CustomerNotification | None:
    """The latest notification of a shipment's customer, if any."""
    statement = (
        select(m.CustomerNotification)
        .where(col(m.CustomerNotification.shipment_id) == shipment_id)
        .order_by(col(m.CustomerNotification.at).desc())
    )
    return session.exec(statement).first()
