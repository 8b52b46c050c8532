"""The approval inbox: decisions waiting for a person, most urgent first, with what a planner needs to judge them."""

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status
from pydantic import BaseModel, Field
from sqlalchemy import Row, func
from sqlmodel import Session, col, select

from agents.schemas import Decision
from api.auth import PrincipalDep
from api.deps import SessionDep
from api.paging import decode_cursor, encode_cursor
from twin import models as m
from twin import store

router = APIRouter(prefix="/v1", tags=["decisions"])

SEVERITY_RANK = {"critical": 3, "high": 2, "medium": 1, "low": 0}
MAX_PAGE = 200
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
    """A page of waiting decisions, ordered by deadline (none last), then severity, then cost."""

    as_of: datetime | None = Field(description="The twin's clock, which deadlines are measured against.")
    items: list[InboxItem]
    total: int = Field(description="Decisions waiting in all, over every page.")
    next_cursor: str | None = Field(
        default=None, description="Pass as `cursor` for the next page; null on the last one."
    )


def _utc(moment: datetime) -> datetime:
    """A moment in UTC (naive moments are read as UTC)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _deadline(refs: dict[str, str], promised: dict[str, datetime]) -> tuple[datetime | None, str | None]:
    """The promised time of the decision's shipment, when it is about one."""
    shipment_id = refs.get("shipment_id")
    if shipment_id in promised:
        return _utc(promised[shipment_id]), f"{shipment_id} promised"
    return None, None


def _item(record: m.DecisionRecord, exception: m.ExceptionRecord, promised: dict[str, datetime]) -> InboxItem:
    """One waiting decision as an inbox item."""
    decision = Decision.of(record)
    due_at, due_reason = _deadline(exception.refs, promised)
    return InboxItem(
        decision_id=record.id,
        exception_id=record.exception_id,
        exception_type=exception.type,
        severity=exception.severity,
        refs=exception.refs,
        specialist=record.specialist,
        confidence=record.confidence,
        cost_usd=decision.expected_impact.cost_usd,
        action_types=[action.type for action in decision.actions],
        justification=decision.justification.text if decision.justification else "",
        policy_reasons=decision.policy.reasons if decision.policy else [],
        created_at=_utc(record.created_at),
        due_at=due_at,
        due_reason=due_reason,
    )


def urgency(item: InboxItem) -> tuple:
    """The sort key: earliest deadline first (none last), then the most severe, then the costliest."""
    return (
        item.due_at is None,
        (item.due_at or item.created_at).isoformat(),
        -SEVERITY_RANK.get(item.severity, 0),
        -abs(item.cost_usd),
        item.decision_id,
    )


def _urgency_key(row: Row, promised: dict[str, datetime]) -> tuple:
    """The sort key of a waiting decision from its light columns (the `urgency` of its item)."""
    decision_id, created_at, severity, cost, shipment_id = row
    due = _utc(promised[shipment_id]) if shipment_id in promised else None
    return (
        due is None,
        (due or _utc(created_at)).isoformat(),
        -SEVERITY_RANK.get(severity, 0),
        -abs(cost or 0.0),
        decision_id,
    )


def _order(session: Session) -> list[tuple]:
    """The urgency keys of every waiting decision, most urgent first, read from a few columns (no payloads)."""
    payload = col(m.DecisionRecord.payload)
    rows = session.execute(
        select(
            col(m.DecisionRecord.id),
            col(m.DecisionRecord.created_at),
            col(m.ExceptionRecord.severity),
            payload["expected_impact"]["cost_usd"].as_float(),
            col(m.ExceptionRecord.refs)["shipment_id"].as_string(),
        )
        .join(m.ExceptionRecord, col(m.ExceptionRecord.id) == col(m.DecisionRecord.exception_id))
        .where(col(m.DecisionRecord.status) == WAITING)
    ).all()
    shipment_ids = {row[4] for row in rows if row[4]}
    promised = (
        dict(
            session.execute(
                select(col(m.Shipment.id), col(m.Shipment.promised_at)).where(col(m.Shipment.id).in_(shipment_ids))
            ).all()
        )
        if shipment_ids
        else {}
    )
    return sorted(_urgency_key(row, promised) for row in rows)


def _version(session: Session) -> str:
    """A tag that changes whenever a decision starts or stops waiting, or the twin's clock moves."""
    waiting = session.execute(select(func.count()).where(col(m.DecisionRecord.status) == WAITING)).scalar_one()
    last_change = session.execute(select(func.max(col(m.DecisionRecord.updated_at)))).scalar()
    return f"{waiting}:{last_change}:{store.as_of(session)}"


@router.get(
    "/inbox",
    response_model=Inbox,
    responses={304: {"description": "Unchanged since the `ETag` sent in `If-None-Match`."}},
)
def inbox(
    request: Request,
    response: Response,
    session: SessionDep,
    _principal: PrincipalDep,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="Items per page.")] = 50,
    cursor: Annotated[str | None, Query(max_length=500, description="`next_cursor` of the page before.")] = None,
) -> Inbox | Response:
    """Decisions waiting for approval, most urgent first, a page at a time (`next_cursor` for the next); with
    `If-None-Match` set to the `ETag` of an earlier answer, a 304 when nothing changed since."""
    tag = '"' + hashlib.sha256(f"{_version(session)}:{limit}:{cursor}".encode()).hexdigest()[:32] + '"'
    headers = {"ETag": tag, "Cache-Control": "private, no-cache"}
    if tag in request.headers.get("if-none-match", ""):
        return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers=headers)
    response.headers.update(headers)
    pages: PageCache = request.app.state.inbox_pages
    return pages.get_or_compute(tag, lambda: _page(session, limit, cursor))


class PageCache:
    """The latest inbox pages by ETag, shared by every caller of one process: many open consoles polling the same
    inbox cost one computation per change."""

    def __init__(self, size: int = 64) -> None:
        self.size, self.pages, self.lock = size, OrderedDict[str, Inbox](), threading.Lock()
        self.computing = threading.Lock()  # one computation at a time: callers missing together wait for it

    def get_or_compute(self, tag: str, compute: Callable[[], Inbox]) -> Inbox:
        """The page kept for this tag, else computed once (however many callers ask at the same moment)."""
        if (page := self.pages.get(tag)) is not None:
            return page
        with self.computing:
            if (page := self.pages.get(tag)) is None:
                page = compute()
                with self.lock:
                    self.pages[tag] = page
                    while len(self.pages) > self.size:
                        self.pages.popitem(last=False)
        return page


def _page(session: Session, limit: int, cursor: str | None) -> Inbox:
    """One page of the inbox, computed from the database."""
    order = _order(session)
    after = decode_cursor(cursor, length=5) if cursor else None
    keys = [key for key in order if after is None or list(key) > after][: limit + 1]
    page_ids = [key[-1] for key in keys[:limit]]
    rows = session.exec(
        select(m.DecisionRecord, m.ExceptionRecord)
        .join(m.ExceptionRecord, col(m.ExceptionRecord.id) == col(m.DecisionRecord.exception_id))
        .where(col(m.DecisionRecord.id).in_(page_ids))
    ).all()
    shipment_ids = {exception.refs["shipment_id"] for _, exception in rows if exception.refs.get("shipment_id")}
    promised = (
        dict(
            session.execute(
                select(col(m.Shipment.id), col(m.Shipment.promised_at)).where(col(m.Shipment.id).in_(shipment_ids))
            ).all()
        )
        if shipment_ids
        else {}
    )
    items = sorted((_item(record, exception, promised) for record, exception in rows), key=urgency)
    clock = store.as_of(session)
    return Inbox(
        as_of=_utc(clock) if clock else None,
        items=items,
        total=len(order),
        next_cursor=encode_cursor(list(keys[limit - 1])) if len(keys) > limit else None,
    )
