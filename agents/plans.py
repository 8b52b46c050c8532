"""The plans in force: of each planning exception type, the latest plan decision on or before a day, summarised as a
planner reads it (status, objective, key totals, the trade-off versions it cited, its alternatives)."""

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field
from sqlmodel import Session

from agents.schemas import PLANNING, Action, Decision, DecisionStatus, ExceptionType, Impact
from twin import models as m
from twin import store

PLAN_TYPES = sorted(PLANNING)  # every planning exception type, in a stable order
OBJECTIVE = "lowest expected total (cost plus expected penalty)"


class CitedTradeOff(BaseModel):
    """A trade-off version a plan used for some of its loads (version 0: every cost at face value)."""

    tier: str
    lane: str
    version: int
    on_time: float
    co2: float


class PlanAlternative(BaseModel):
    """A plan the specialist compared and rejected, with its expected total and why it lost."""

    name: str
    expected_total_usd: float | None
    why_not: str


class PlanSummary(BaseModel):
    """The latest plan of one type: what it plans, its status, objective and key totals, and why it was chosen."""

    decision_id: str
    exception_id: str
    plan_type: ExceptionType
    day: date = Field(description="The day planned (a weekly plan: the first day of its week).")
    status: DecisionStatus
    objective: str = Field(description="What the plan minimises.")
    objective_usd: float | None = Field(description="The chosen plan's expected total, USD.")
    totals: Impact = Field(description="The chosen plan's key figures.")
    actions: list[Action] = Field(description="What the plan does (the chosen plan's actions).")
    tradeoff: list[CitedTradeOff] = Field(description="Trade-off versions cited (none for plans it does not weigh).")
    tradeoff_requested: bool = Field(default=False, description="Weights asked for replaced the versions in force.")
    justification: str
    claims: list[str]
    alternatives: list[PlanAlternative]
    created_at: datetime
    updated_at: datetime


def _cited(decision: Decision) -> tuple[list[CitedTradeOff], bool]:
    """The trade-off versions a plan's evidence cites, and whether weights asked for replaced them."""
    for record in decision.evidence:
        if record.source.model == "tradeoff":
            facts: dict[str, Any] = record.facts
            return [CitedTradeOff.model_validate(rule) for rule in facts["rules"]], bool(facts.get("requested"))
    return [], False


def summary(row: tuple[m.DecisionRecord, Any, Any]) -> PlanSummary:
    """A row of `store.latest_plans` (a decision, its plan type and planned day) as a plan summary."""
    record, plan_type, day = row
    decision = Decision.of(record)
    cited, requested = _cited(decision)
    just = decision.justification
    return PlanSummary(
        decision_id=record.id,
        exception_id=record.exception_id,
        plan_type=ExceptionType(plan_type),
        day=date.fromisoformat(day),
        status=decision.status,
        objective=OBJECTIVE,
        objective_usd=decision.expected_impact.expected_total_usd,
        totals=decision.expected_impact,
        actions=decision.actions,
        tradeoff=cited,
        tradeoff_requested=requested,
        justification=just.text if just else "",
        claims=[claim.text for claim in just.claims] if just else [],
        alternatives=[
            PlanAlternative(
                name=alt.name, expected_total_usd=alt.expected_impact.expected_total_usd, why_not=alt.why_not
            )
            for alt in decision.alternatives
        ],
        created_at=record.created_at,
        updated_at=record.updated_at,
    )


def in_force(session: Session, day: date, types: list[ExceptionType] | None = None) -> list[PlanSummary]:
    """The plan in force on a day of each planning type (or of the types given), by plan type."""
    return [summary(row) for row in session.exec(store.latest_plans(types or PLAN_TYPES, day)).all()]
