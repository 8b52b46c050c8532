"""Key figures over time from the twin and the decisions: on-time delivery, failures and downtime, stock below
its thresholds, decisions by status and specialist, and the spend of executed decisions."""

from collections import Counter, defaultdict
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from sqlalchemy import Date, func
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from sqlmodel import Session, col, select

from agents.schemas import Decision
from api.auth import PrincipalDep
from api.deps import SessionDep
from api.paging import Cursor, Keyset, Limit, paginate
from twin import models as m
from twin import store

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


DECISION_DAY = UtcDay(m.DecisionRecord.created_at).label("day")
NEWEST_DAYS = Keyset((DECISION_DAY,), descending=True)


class Week(BaseModel):
    """One week of the twin's operations, Monday first."""

    week_start: date
    delivered: int
    on_time: int
    on_time_rate: float | None = Field(description="On-time share of the week's deliveries; none without any.")
    failures: int = Field(description="Corrective work orders opened (breakdowns).")
    downtime_hours: float = Field(description="Hours trucks spent in corrective work orders opened that week.")


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


class Kpis(BaseModel):
    """The console's key figures."""

    as_of: datetime | None
    weeks: list[Week]
    stock: StockNow
    decisions_by_status: dict[str, int]
    decisions_by_specialist: dict[str, int]
    decision_days: list[DecisionDay] = Field(description="Days with decisions, newest first, a page at a time.")
    days_total: int = Field(description="Days with decisions over all pages.")
    limit: int
    next_cursor: str | None = Field(None, description="Pass as `cursor` for the next (older) days; null on the last.")


def _monday(moment: datetime | date) -> date:
    """The Monday of a moment's week."""
    day = moment.date() if isinstance(moment, datetime) else moment
    return day - timedelta(days=day.weekday())


def _weeks(session: Session, now: datetime, count: int) -> list[Week]:
    """Deliveries, on-time deliveries, failures and downtime per complete week, over the last `count` weeks."""
    starts = [_monday(now) - timedelta(weeks=back) for back in range(count, 0, -1)]
    until = datetime.combine(_monday(now), time.min, tzinfo=UTC)
    since = datetime.combine(starts[0], time.min, tzinfo=UTC)
    delivered, on_time = Counter(), Counter()
    for delivered_at, promised_at in session.execute(
        select(col(m.Shipment.delivered_at), col(m.Shipment.promised_at)).where(
            col(m.Shipment.delivered_at) >= since, col(m.Shipment.delivered_at) < until
        )
    ):
        delivered[_monday(delivered_at)] += 1
        on_time[_monday(delivered_at)] += delivered_at <= promised_at
    failures, downtime = Counter(), defaultdict(float)
    for opened_at, closed_at in session.execute(
        select(col(m.WorkOrder.opened_at), col(m.WorkOrder.closed_at)).where(
            col(m.WorkOrder.kind) == "corrective",
            col(m.WorkOrder.opened_at) >= since,
            col(m.WorkOrder.opened_at) < until,
        )
    ):
        failures[_monday(opened_at)] += 1
        downtime[_monday(opened_at)] += ((closed_at or now) - opened_at).total_seconds() / 3600
    return [
        Week(
            week_start=start,
            delivered=delivered[start],
            on_time=on_time[start],
            on_time_rate=round(on_time[start] / delivered[start], 4) if delivered[start] else None,
            failures=failures[start],
            downtime_hours=round(downtime[start], 1),
        )
        for start in starts
    ]


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
    """Per day of decision, newest first: counts by status and the expected cost of what executed."""
    days: dict[date, DecisionDay] = {}
    for record in records:
        day = days.setdefault(
            record.created_at.date(),
            DecisionDay(day=record.created_at.date(), by_status={}, executed_cost_usd=0.0, expedite_cost_usd=0.0),
        )
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
        select(m.DecisionRecord).where(
            col(m.DecisionRecord.created_at) >= since, col(m.DecisionRecord.created_at) < until
        )
    ).all()
    return _decision_days(list(records))


def _counts(session: Session, column) -> dict[str, int]:
    """How many decisions share each value of a column."""
    return dict(session.execute(select(column, func.count()).group_by(column).order_by(column)).all())


@router.get("/kpis", response_model=Kpis)
def kpis(
    session: SessionDep,
    _principal: PrincipalDep,
    weeks: Annotated[int, Query(ge=1, le=52, description="Complete weeks before the twin's current one.")] = 12,
    limit: Limit = 90,
    cursor: Cursor = None,
) -> Kpis:
    """Weekly operations figures of the complete weeks before the twin's clock, stock now, decisions by status and
    specialist, and decisions per day, newest first, `limit` days a page (`next_cursor` for older ones)."""
    now = store.as_of(session) or datetime.now(UTC)
    days = paginate(
        session,
        select(DECISION_DAY).distinct().order_by(*NEWEST_DAYS.order()),
        limit,
        0,
        lambda row: row.day,
        NEWEST_DAYS,
        cursor,
    )
    return Kpis(
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
