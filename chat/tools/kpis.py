"""The chat's KPI tool: open work, decisions by status, automation, executed cost and on-time delivery now."""

from datetime import UTC, datetime

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlmodel import col

from agents.schemas import Decision
from agents.toolbox import Toolbox
from agents.twin_facts import TWIN_SOURCE
from tools.evidence import Evidence
from twin import kpis as measures
from twin import models as m
from twin import store

ON_TIME_WINDOW_DAYS = measures.DEFAULT_DAYS


class NoArgs(BaseModel):
    """No arguments."""


class Kpis(BaseModel):
    """The desk's figures now: open work, decisions by status, automation, cost and on-time delivery."""

    open_exceptions: int
    decisions: int
    by_status: dict[str, int]
    automation_rate: float | None = Field(description="Acting decisions executed without a person, of all acting ones.")
    executed_cost_usd: float
    on_time_rate: float | None = Field(
        description="On-time delivery over the complete days of the window: "
        + measures.DEFINITIONS["on_time_delivery"].text
    )
    on_time_window_days: int = ON_TIME_WINDOW_DAYS
    evidence: list[Evidence]


def as_utc(moment: datetime) -> datetime:
    """A timestamp as aware UTC (SQLite returns naive ones)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def kpis(tb: Toolbox, _args: NoArgs) -> Kpis:
    """The desk's KPIs now: open exceptions, decisions by status, automation rate, executed cost and the on-time
    delivery rate of the four weeks before the twin's clock."""
    now = tb.now()
    with tb.session() as session:
        open_exceptions = store.count(session, m.ExceptionRecord, col(m.ExceptionRecord.status) == "open")
        records = session.execute(select(m.DecisionRecord)).scalars().all()
        window = measures.scope_of(session)
        delivery = measures.on_time_delivery(measures.load(session, window), window.start, window.end)
    by_status: dict[str, int] = {}
    for record in records:
        by_status[record.status] = by_status.get(record.status, 0) + 1
    decided = [
        Decision.of(r) for r in records if r.status in ("executed", "overridden", "rejected", "pending_approval")
    ]
    acting = [d for d in decided if d.actions]
    automatic = [d for d in acting if d.status == "executed" and not (d.policy and d.policy.requires_approval)]
    cost = round(sum(d.expected_impact.cost_usd for d in decided if d.status in ("executed", "overridden")), 2)
    kpis = Kpis(
        open_exceptions=open_exceptions,
        decisions=len(records),
        by_status=by_status,
        automation_rate=round(len(automatic) / len(acting), 3) if acting else None,
        executed_cost_usd=cost,
        on_time_rate=delivery.rate,
        evidence=[],
    )
    kpis.evidence = [
        Evidence(
            id="twin:kpis",
            source=TWIN_SOURCE,
            inputs={"as_of": now.isoformat()},
            facts={
                **kpis.model_dump(exclude={"evidence"}),
                "delivered": delivery.delivered,
                "delivered_on_time": delivery.on_time,
                "acting": len(acting),
                "automatic": len(automatic),
            },
        )
    ]
    return kpis
