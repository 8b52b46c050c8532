"""The chat's KPI tool: open work, decisions by status, automation, executed cost and on-time delivery now."""

from datetime import UTC, datetime, timedelta

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlmodel import col

from agents.schemas import Decision
from agents.toolbox import Toolbox
from agents.twin_facts import TWIN_SOURCE
from tools.evidence import Evidence
from twin import models as m
from twin import store

ON_TIME_WINDOW_DAYS = 28


class NoArgs(BaseModel):
    """No arguments."""


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


def as_utc(moment: datetime) -> datetime:
    """A timestamp as aware UTC (SQLite returns naive ones)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def kpis(tb: Toolbox, _args: NoArgs) -> Kpis:
    """The desk's KPIs now: open exceptions, decisions by status, automation rate, executed cost and the on-time
    delivery rate of the last four weeks."""
    now = tb.now()
    with tb.session() as session:
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
