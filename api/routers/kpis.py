"""The KPIs of `twin.kpis` over a period on the twin's clock, filtered by site, lane and carrier, with the network's
weeks, stock below its thresholds, decisions by status and specialist, and the spend of executed decisions per twin
day."""

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field
from sqlalchemy import Date, func
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from sqlmodel import Session, col, select

from agents.schemas import Decision
from api.auth import PrincipalDep
from api.deps import SessionDep
from api.paging import Cursor, Keyset, Limit, paginate
from twin import kpis, store
from twin import models as m

router = APIRouter(prefix="/v1", tags=["kpis"])

EXPEDITE_ACTIONS = {"expedite_shipment", "expedite_purchase", "book_spot"}
SPENDING_STATUSES = {"executed", "overridden"}


class UtcDay(FunctionElement):
    """The UTC calendar day of a stored moment, whatever the database session's time zone."""

    type = Date()
    inherit_cache = True


@compiles(UtcDay)
def _utc_day(element: UtcDay, compiler, **kw) -> str:
    """`date(moment)`: SQLite stores moments as UTC text."""
    return f"date({compiler.process(element.clauses, **kw)})"


@compiles(UtcDay, "postgresql")
def _utc_day_postgresql(element: UtcDay, compiler, **kw) -> str:
    """PostgreSQL reads a `timestamptz` in UTC before taking its date."""
    return f"date(timezone('UTC', {compiler.process(element.clauses, **kw)}))"


DECISION_DAY = UtcDay(m.DecisionRecord.twin_at).label("day")
NEWEST_DAYS = Keyset((DECISION_DAY,), descending=True)


class Week(BaseModel):
    """One week of the twin's operations, Monday first, over the whole network."""

    week_start: date
    delivered: int
    on_time: int
    on_time_rate: float | None = Field(description=kpis.DEFINITIONS["on_time_delivery"].text)
    failures: int = Field(description="Breakdowns: corrective work orders opened that week.")
    downtime_hours: float = Field(description=kpis.DEFINITIONS["unplanned_downtime"].text)


class StockNow(BaseModel):
    """Stock positions against their thresholds at the twin's clock."""

    positions: int
    at_zero: int
    below_safety_stock: int
    below_reorder_point: int


class DecisionDay(BaseModel):
    """Decisions made on one day, by status, and the expected cost of those executed."""

    day: date
    by_status: dict[str, int]
    executed_cost_usd: float
    expedite_cost_usd: float = Field(description="Expected cost of executed decisions with an expedite action.")


class Kpis(kpis.KpiReport):
    """The KPIs of a period on the twin's clock (in total and by day or week, filtered by site, lane and carrier), the
    network's complete weeks, stock now, and decisions by status, specialist and twin day."""

    as_of: datetime | None
    weeks: list[Week] = Field(description="The complete weeks before the twin's current one, unfiltered.")
    stock: StockNow
    decisions_by_status: dict[str, int]
    decisions_by_specialist: dict[str, int]
    decision_days: list[DecisionDay] = Field(
        description="Days on the twin's clock with decisions, newest first, a page at a time."
    )
    days_total: int = Field(description="Days with decisions over all pages.")
    limit: int
    next_cursor: str | None = Field(None, description="Pass as `cursor` for the next (older) days; null on the last.")


def _monday(moment: datetime | date) -> date:
    """The Monday of a moment's week."""
    day = moment.date() if isinstance(moment, datetime) else moment
    return day - timedelta(days=day.weekday())


def _weeks(session: Session, now: datetime, count: int) -> list[Week]:
    """On-time delivery, breakdowns and downtime of the network per complete week, over the last `count` weeks."""
    first = _monday(now) - timedelta(weeks=count)
    scope = kpis.Scope(start=first, end=_monday(now) - timedelta(days=1))
    history = kpis.load(session, scope)
    weeks = []
    for start, end in kpis.spans(scope.start, scope.end, "week"):
        delivery = kpis.on_time_delivery(history, start, end)
        downtime = kpis.unplanned_downtime(history, start, end)
        weeks.append(
            Week(
                week_start=start,
                delivered=delivery.delivered,
                on_time=delivery.on_time,
                on_time_rate=delivery.rate,
                failures=downtime.incidents,
                downtime_hours=downtime.hours,
            )
        )
    return weeks


def _stock(session: Session) -> StockNow:
    """Counts of stock positions at zero, under safety stock and under their reorder point."""
    positions = session.exec(select(m.InventoryPosition)).all()
    return StockNow(
        positions=len(positions),
        at_zero=sum(p.on_hand <= 0 for p in positions),
        below_safety_stock=sum(p.on_hand < p.safety_stock for p in positions),
        below_reorder_point=sum(p.on_hand + p.in_transit < p.reorder_point for p in positions),
    )


def _decision_days(records: list[m.DecisionRecord]) -> list[DecisionDay]:
    """Per twin day of decision, newest first: counts by status and the expected cost of what executed."""
    days: dict[date, DecisionDay] = {}
    for record in records:
        if record.twin_at is None:
            continue
        made = record.twin_at.date()
        day = days.setdefault(made, DecisionDay(day=made, by_status={}, executed_cost_usd=0.0, expedite_cost_usd=0.0))
        day.by_status[record.status] = day.by_status.get(record.status, 0) + 1
        if record.status in SPENDING_STATUSES:
            decision = Decision.of(record)
            cost = decision.expected_impact.cost_usd
            day.executed_cost_usd = round(day.executed_cost_usd + cost, 2)
            if {action.type for action in decision.actions} & EXPEDITE_ACTIONS:
                day.expedite_cost_usd = round(day.expedite_cost_usd + cost, 2)
    return [days[day] for day in sorted(days, reverse=True)]


def _days_of(session: Session, days: list[date]) -> list[DecisionDay]:
    """The figures of the given days (their decisions read in one query)."""
    if not days:
        return []
    since = datetime.combine(min(days), time.min, tzinfo=UTC)
    until = datetime.combine(max(days) + timedelta(days=1), time.min, tzinfo=UTC)
    records = session.exec(
        select(m.DecisionRecord).where(col(m.DecisionRecord.twin_at) >= since, col(m.DecisionRecord.twin_at) < until)
    ).all()
    return _decision_days(list(records))


def _counts(session: Session, column) -> dict[str, int]:
    """How many decisions share each value of a column."""
    return dict(session.execute(select(column, func.count()).group_by(column).order_by(column)).all())


@router.get("/kpis", response_model=Kpis)
def kpis_of(
    session: SessionDep,
    _principal: PrincipalDep,
    start: Annotated[
        date | None, Query(alias="from", description="First day, on the twin's clock (default: 28 days up to `to`).")
    ] = None,
    end: Annotated[
        date | None, Query(alias="to", description="Last day, included (default: the day before the twin's clock).")
    ] = None,
    site: Annotated[str | None, Query(max_length=64, description="Only this DC, e.g. DC-DAL.")] = None,
    lane: Annotated[str | None, Query(max_length=64, description="Only this lane, e.g. DAL-HOU.")] = None,
    carrier: Annotated[str | None, Query(max_length=64, description="Only this carrier.")] = None,
    granularity: Annotated[kpis.Granularity, Query(description="Buckets of a day or a Monday-first week.")] = "day",
    weeks: Annotated[int, Query(ge=1, le=52, description="Complete weeks before the twin's current one.")] = 12,
    limit: Limit = 90,
    cursor: Cursor = None,
) -> Kpis:
    """The KPIs of a period on the twin's clock, in total and by day or week (each KPI's definition is its field's
    description), filtered by site, lane and carrier; the network's complete weeks before the twin's clock, stock now,
    decisions by status and specialist, and decisions per twin day, newest first, `limit` days a page."""
    now = store.as_of(session) or datetime.now(UTC)
    scope = kpis.scope_of(session, start, end, site, lane, carrier)
    try:
        measured = kpis.report(session, scope, granularity)
    except kpis.BadFilter as error:
        raise RequestValidationError(
            [{"type": "value_error", "loc": ("query", error.field), "msg": error.message, "input": None}]
        ) from error
    days = paginate(
        session,
        select(DECISION_DAY)
        .where(col(m.DecisionRecord.twin_at).is_not(None))
        .distinct()
        .order_by(*NEWEST_DAYS.order()),
        limit,
        0,
        lambda row: row.day,
        NEWEST_DAYS,
        cursor,
    )
    return Kpis(
        **dict(measured),
        as_of=now,
        weeks=_weeks(session, now, weeks),
        stock=_stock(session),
        decisions_by_status=_counts(session, col(m.DecisionRecord.status)),
        decisions_by_specialist=_counts(session, col(m.DecisionRecord.specialist)),
        decision_days=_days_of(session, days.items),
        days_total=days.total,
        limit=limit,
        next_cursor=days.next_cursor,
    )
