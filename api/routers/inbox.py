"""The approval inbox: decisions waiting for a person, most urgent first, with what a planner needs to judge them."""

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field
from sqlmodel import select

from api.auth import PrincipalDep
from api.deps import SessionDep
from twin import models as m
from twin import store

router = APIRouter(prefix="/v1", tags=["decisions"])

SEVERITY_RANK = {"critical": 3, "high": 2, "medium": 1, "low": 0}
WAITING = "pending_approval"


class InboxItem(BaseModel):
    """A decision waiting for approval, with its deadline, exception and justification text."""

    decision_id: str
    exception_id: str
    exception_type: str | None
    severity: str
    refs: dict[str, str]
    specialist: str
    confidence: float
    cost_usd: float
    action_types: list[str]
    justification: str
    policy_reasons: list[str]
    created_at: datetime
    due_at: datetime | None = Field(
        description="When the decision stops being useful: its expiry when it has "
        "one, else the promised time of the shipment it is about."
    )
    due_reason: str | None


class Inbox(BaseModel):
    """Every waiting decision, ordered by deadline (none last), then severity, then cost."""

    as_of: datetime | None = Field(description="The twin's clock, which deadlines are measured against.")
    items: list[InboxItem]
    total: int


def _utc(moment: datetime) -> datetime:
    """A moment in UTC (naive moments are read as UTC)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _deadline(
    payload: dict[str, Any], refs: dict[str, str], promised: dict[str, datetime]
) -> tuple[datetime | None, str | None]:
    """The decision's expiry when it carries one, else its shipment's promised time."""
    if payload.get("expires_at"):
        return _utc(datetime.fromisoformat(payload["expires_at"])), "approval expires"
    shipment_id = refs.get("shipment_id")
    if shipment_id in promised:
        return _utc(promised[shipment_id]), f"{shipment_id} promised"
    return None, None


def _item(record: m.DecisionRecord, exception: m.ExceptionRecord, promised: dict[str, datetime]) -> InboxItem:
    """One waiting decision as an inbox item."""
    payload = record.payload
    due_at, due_reason = _deadline(payload, exception.refs, promised)
    return InboxItem(
        decision_id=record.id,
        exception_id=record.exception_id,
        exception_type=exception.type,
        severity=exception.severity,
        refs=exception.refs,
        specialist=record.specialist,
        confidence=record.confidence,
        cost_usd=(payload.get("expected_impact") or {}).get("cost_usd", 0.0),
        action_types=[action.get("type", "") for action in payload.get("actions", [])],
        justification=(payload.get("justification") or {}).get("text", ""),
        policy_reasons=(payload.get("policy") or {}).get("reasons", []),
        created_at=_utc(record.created_at),
        due_at=due_at,
        due_reason=due_reason,
    )


def urgency(item: InboxItem) -> tuple:
    """The sort key: earliest deadline first (none last), then the most severe, then the costliest."""
    return (
        item.due_at is None,
        item.due_at or item.created_at,
        -SEVERITY_RANK.get(item.severity, 0),
        -abs(item.cost_usd),
        item.decision_id,
    )


@router.get("/inbox", response_model=Inbox)
def inbox(session: SessionDep, _principal: PrincipalDep) -> Inbox:
    """Decisions waiting for approval, most urgent first."""
    rows = session.exec(
        select(m.DecisionRecord, m.ExceptionRecord)
        .join(m.ExceptionRecord, m.ExceptionRecord.id == m.DecisionRecord.exception_id)
        .where(m.DecisionRecord.status == WAITING)
    ).all()
    shipment_ids = {exception.refs["shipment_id"] for _, exception in rows if exception.refs.get("shipment_id")}
    promised = (
        dict(
            session.execute(select(m.Shipment.id, m.Shipment.promised_at).where(m.Shipment.id.in_(shipment_ids))).all()
        )
        if shipment_ids
        else {}
    )
    items = sorted((_item(record, exception, promised) for record, exception in rows), key=urgency)
    clock = store.as_of(session)
    return Inbox(as_of=_utc(clock) if clock else None, items=items, total=len(items))
