"""Four KPIs of `twin/kpis.py` counted per unit over a span of days, for attribution: on-time delivery per lane, fill
rate and stockout rate per SKU-DC position, unplanned downtime per truck. Each unit holds the numerator and the
denominator of its KPI, so a group of units pools them as the KPI's definition does."""

from collections import defaultdict
from datetime import timedelta
from typing import Literal

from pydantic import BaseModel
from sqlalchemy import ColumnElement
from sqlmodel import Session, col, select

from twin import models as m
from twin.kpis import DEFINITIONS, Scope, aware, moment
from twin.store import clock

UnitKind = Literal["lane", "position", "truck"]
UNIT_OF: dict[str, UnitKind] = {
    "on_time_delivery": "lane",
    "fill_rate": "position",
    "stockout_rate": "position",
    "unplanned_downtime": "truck",
}
HIGHER_IS_BETTER = {"on_time_delivery": True, "fill_rate": True, "stockout_rate": False, "unplanned_downtime": False}
MEASURED_AS = {
    "on_time_delivery": "deliveries on time over deliveries, per lane",
    "fill_rate": "units served over units demanded, per SKU-DC",
    "stockout_rate": "SKU-DC days closed with nothing on hand over SKU-DC days, per SKU-DC",
    "unplanned_downtime": "hours broken down (breakdowns opened in the span) per truck-day, per truck",
}


class Count(BaseModel):
    """One unit's KPI over a span: numerator over denominator."""

    num: float
    den: float


Counts = dict[str, Count]  # unit code (a lane, `SKU@DC`, a truck) to its count


def position(sku: str, dc: str) -> str:
    """The code of a SKU-DC position."""
    return f"{sku}@{dc}"


def scoped(kpi: str, scope: Scope) -> bool:
    """Whether a KPI can be scoped by the scope's filters."""
    return scope.filters() <= set(DEFINITIONS[kpi].filters)


def counts(session: Session, kpi: str, scope: Scope) -> Counts:
    """Each unit's numerator and denominator of a KPI over the scope's days (filters as `twin/kpis.py` applies
    them)."""
    since, until = moment(scope.start), moment(scope.end + timedelta(days=1))
    tally: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
    match kpi:
        case "on_time_delivery":
            where = [
                *([col(m.Shipment.origin) == scope.site] if scope.site else []),
                *([col(m.Shipment.lane) == scope.lane] if scope.lane else []),
                *([col(m.Shipment.carrier) == scope.carrier] if scope.carrier else []),
            ]
            for lane, delivered, promised in session.exec(
                select(col(m.Shipment.lane), col(m.Shipment.delivered_at), col(m.Shipment.promised_at)).where(
                    col(m.Shipment.delivered_at) >= since, col(m.Shipment.delivered_at) < until, *where
                )
            ).all():
                if delivered is not None:
                    tally[lane][0] += aware(delivered) <= aware(promised)
                    tally[lane][1] += 1
        case "fill_rate":
            for sku, dc, units, unmet in session.exec(
                select(
                    col(m.DemandHistory.sku),
                    col(m.DemandHistory.location),
                    col(m.DemandHistory.units),
                    col(m.DemandHistory.unmet),
                ).where(*_days(m.DemandHistory, scope))
            ).all():
                tally[position(sku, dc)][0] += units - unmet
                tally[position(sku, dc)][1] += units
        case "stockout_rate":
            for sku, dc, on_hand in session.exec(
                select(col(m.StockDay.sku), col(m.StockDay.location), col(m.StockDay.on_hand)).where(
                    *_days(m.StockDay, scope)
                )
            ).all():
                tally[position(sku, dc)][0] += on_hand <= 0
                tally[position(sku, dc)][1] += 1
        case "unplanned_downtime":
            now = clock(session)
            days = (scope.end - scope.start).days + 1
            homes = {
                v.code: v.home_dc for v in session.exec(select(m.Vehicle)).all() if scope.site in (None, v.home_dc)
            }
            for truck in homes:
                tally[truck][1] = days
            for truck, opened, closed in session.exec(
                select(col(m.WorkOrder.truck), col(m.WorkOrder.opened_at), col(m.WorkOrder.closed_at)).where(
                    col(m.WorkOrder.kind) == "corrective",
                    col(m.WorkOrder.opened_at) >= since,
                    col(m.WorkOrder.opened_at) < until,
                )
            ).all():
                if truck in homes:
                    tally[truck][0] += ((aware(closed) if closed else now) - aware(opened)).total_seconds() / 3600
        case _:
            raise ValueError(f"no unit count for KPI {kpi!r}")
    return {unit: Count(num=num, den=den) for unit, (num, den) in sorted(tally.items())}


def _days(table: type[m.DemandHistory] | type[m.StockDay], scope: Scope) -> list[ColumnElement[bool]]:
    """The conditions of a daily stock table's rows in the scope's days and site."""
    return [
        col(table.day) >= scope.start,
        col(table.day) <= scope.end,
        *([col(table.location) == scope.site] if scope.site else []),
    ]
