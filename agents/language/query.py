"""A question read as a small typed query: subject, measure, filters, aggregation and what-if."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field

Kind = Literal["ask", "act", "whatif", "out_of_scope", "no_data", "clarify"]
Subject = Literal[
    "shipment",
    "sku_dc",
    "sku",
    "truck",
    "fleet",
    "carrier",
    "lane",
    "dc",
    "decision",
    "policy",
    "kpi",
    "desk",
    "plan",
    "tradeoff",
]
Measure = Literal[
    "status",
    "stock_on_hand",
    "available",
    "days_of_cover",
    "forecast",
    "drivers",
    "late_risk",
    "on_time_rate",
    "late_count",
    "spend",
    "failure_risk",
    "history",
    "work_orders",
    "next_service",
    "capacity",
    "autonomy",
    "approval_rule",
    "pending",
    "explain",
    "summary",
    "stockout_risk",
    "help",
]
ActVerb = Literal["approve", "reject", "override", "report", "set_tradeoff"]
AggKind = Literal["top", "most", "least", "best", "worst", "cheapest", "compare", "count", "total"]
WhatIfOp = Literal["dc_closure", "capacity_change", "demand_change", "truck_unavailable", "lane_closed"]
DcRole = Literal["origin", "destination", "at"]
Ordinal = Literal["first", "second", "third", "last", "it", "worst", "best"]


class Period(BaseModel):
    """Inclusive dates on the twin's clock, with the words they were read from."""

    start: dt.date
    end: dt.date
    words: str = ""

    @property
    def days(self) -> int:
        """How many days the period spans."""
        return (self.end - self.start).days + 1


class Filters(BaseModel):
    """The codes, places and period a question is narrowed to."""

    shipment_id: str | None = None
    sku: str | None = None
    dcs: list[str] = Field(default_factory=list)
    dc_role: DcRole | None = None
    lane: str | None = None
    carriers: list[str] = Field(default_factory=list)
    truck: str | None = None
    decision_id: str | None = None
    action_type: str | None = None
    period: Period | None = None
    tier: str | None = Field(default=None, description="A customer tier: gold, silver or standard.")
    plan_type: str | None = Field(default=None, description="A planning exception type, e.g. tender_plan.")


class Aggregation(BaseModel):
    """How the answer's rows are reduced: ranked, compared, counted or summed."""

    kind: AggKind
    n: int | None = None


class WhatIf(BaseModel):
    """A scenario played on a copy of the twin: nothing real changes."""

    op: WhatIfOp
    factor: float | None = None
    days: int | None = None


class TradeOffSetting(BaseModel):
    """Weights a message gives the trade-off (against freight); a weight it leaves out stays as it is."""

    on_time: float | None = None
    co2: float | None = None


class Query(BaseModel):
    """One part of a question, read as a typed query."""

    kind: Kind = "ask"
    subject: Subject | None = None
    measure: Measure | None = None
    filters: Filters = Field(default_factory=Filters)
    aggregation: Aggregation | None = None
    whatif: WhatIf | None = None
    setting: TradeOffSetting | None = None
    act: ActVerb | None = None
    referent: Ordinal | None = None
    missing: str | None = Field(default=None, description="The data the twin lacks, for a question it cannot answer.")


class Reading(BaseModel):
    """A whole question: one query per part, in the order asked."""

    parts: list[Query]
