"""The approval inbox: decisions waiting for a person, most urgent first, with what a planner needs to judge them."""

import threading
from bisect import bisect_right
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy import Row, func, select
from sqlmodel import Session, col

from api.auth import PrincipalDep
from api.conditional import etag, not_modified, revalidated
from api.deps import SessionDep
from api.paging import decode_cursor, encode_cursor
from api.schemas import Deciders
from twin import models as m
from twin import store
from twin.roles import deciders

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
    deciders: Deciders
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
    next_cursor: str | None = Field(None, description="Pass as `cursor` for the next page; null on the last one.")


def _utc(moment: datetime) -> datetime:
    """A moment in UTC (naive moments are read as UTC)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _deadline(refs: dict[str, str], promised: dict[str, datetime]) -> tuple[datetime | None, str | None]:
    """The promised time of the decision's shipment, when it is about one."""
    shipment_id = refs.get("shipment_id")
    if shipment_id in promised:
        return _utc(promised[shipment_id]), f"{shipment_id} promised"
    return None, None


def _item_rows(session: Session, decision_ids: list[str]) -> list[Row]:
    """What an inbox item shows of each of these decisions: a few columns and payload fields, not whole payloads."""
    payload = col(m.DecisionRecord.payload)
    rows = session.execute(
        select(
            col(m.DecisionRecord.id),
            col(m.DecisionRecord.exception_id),
            col(m.DecisionRecord.specialist),
            col(m.DecisionRecord.confidence),
            col(m.DecisionRecord.created_at),
            col(m.DecisionRecord.cost_usd),
            col(m.DecisionRecord.action_types),
            payload["justification"]["text"].as_string().label("justification"),
            payload["policy"]["reasons"].label("policy_reasons"),
            col(m.ExceptionRecord.type),
            col(m.ExceptionRecord.severity),
            col(m.ExceptionRecord.refs),
        )
        .join(m.ExceptionRecord, col(m.ExceptionRecord.id) == col(m.DecisionRecord.exception_id))
        .where(col(m.DecisionRecord.id).in_(decision_ids))
    ).all()
    return list(rows)


def _item(row: Row, promised: dict[str, datetime]) -> InboxItem:
    """One waiting decision as an inbox item."""
    due_at, due_reason = _deadline(row.refs, promised)
    types = list(row.action_types)
    return InboxItem(
        decision_id=row.id,
        exception_id=row.exception_id,
        exception_type=row.type,
        severity=row.severity,
        refs=row.refs,
        specialist=row.specialist,
        confidence=row.confidence,
        cost_usd=row.cost_usd,
        action_types=types,
        deciders=list(deciders(types)),
        justification=row.justification or "",
        policy_reasons=row.policy_reasons or [],
        created_at=_utc(row.created_at),
        due_at=due_at,
        due_reason=due_reason,
    )


URGENCY_TYPES = (bool, str, int, (int, float), str)  # of `urgency`'s key, as a cursor's JSON holds them


def urgency(item: InboxItem) -> tuple:
    """The sort key: earliest deadline first (none last), then the most severe, then the costliest."""
    return (
        item.due_at is None,
        (item.due_at or item.created_at).isoformat(),
        -SEVERITY_RANK.get(item.severity, 0),
        -abs(item.cost_usd),
        item.decision_id,
    )


def _urgency_key(decision_id: str, facts: tuple, promised: dict[str, datetime]) -> tuple:
    """The sort key of a waiting decision from its light facts (the `urgency` of its item)."""
    created_at, severity, cost, shipment_id = facts
    due = _utc(promised[shipment_id]) if shipment_id in promised else None
    return (
        due is None,
        (due or _utc(created_at)).isoformat(),
        -SEVERITY_RANK.get(severity, 0),
        -abs(cost),
        decision_id,
    )


def _chunks(values: list, size: int = 500) -> list[list]:
    """The values in lists of at most `size` (bound parameters per statement stay few)."""
    return [values[start : start + size] for start in range(0, len(values), size)]


def _promised(session: Session, shipment_ids: set[str]) -> dict[str, datetime]:
    """The promised moment of each of these shipments."""
    promised: dict[str, datetime] = {}
    for chunk in _chunks(sorted(shipment_ids)):
        promised.update(
            session.execute(
                select(col(m.Shipment.id), col(m.Shipment.promised_at)).where(col(m.Shipment.id).in_(chunk))
            ).all()
        )
    return promised


def _facts(session: Session, decision_ids: list[str]) -> dict[str, tuple]:
    """What orders each of these decisions, read from a few columns (no payloads)."""
    facts = {}
    for chunk in _chunks(decision_ids):
        for decision_id, *light in session.execute(
            select(
                col(m.DecisionRecord.id),
                col(m.DecisionRecord.created_at),
                col(m.ExceptionRecord.severity),
                col(m.DecisionRecord.cost_usd),
                col(m.ExceptionRecord.refs)["shipment_id"].as_string(),
            )
            .join(m.ExceptionRecord, col(m.ExceptionRecord.id) == col(m.DecisionRecord.exception_id))
            .where(col(m.DecisionRecord.id).in_(chunk))
        ):
            facts[decision_id] = tuple(light)
    return facts


def _version(session: Session) -> str:
    """A tag that changes whenever a decision starts or stops waiting, or the twin's clock moves (indexed reads)."""
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
    session: SessionDep,
    _principal: PrincipalDep,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="Items per page.")] = 50,
    cursor: Annotated[str | None, Query(max_length=500, description="`next_cursor` of the page before.")] = None,
) -> Response:
    """Decisions waiting for approval, most urgent first, a page at a time (`next_cursor` for the next); with
    `If-None-Match` set to the `ETag` of an earlier answer, a 304 when nothing changed since."""
    version = _version(session)
    tag = etag(version, limit, cursor)
    if unchanged := not_modified(request, tag):
        return unchanged
    after = decode_cursor(cursor, types=URGENCY_TYPES) if cursor else None
    cache: InboxCache = request.app.state.inbox_cache
    body = cache.page(tag, lambda: _page(session, cache.order(session, version), limit, after))
    return Response(body, media_type="application/json", headers=revalidated(tag))


@dataclass
class _Waiting:
    """What orders one waiting decision, kept until its `updated_at` moves (its payload changes only with it)."""

    updated_at: datetime
    facts: tuple  # created_at, severity, cost, shipment_id
    promised_at: datetime | None = None
    key: tuple | None = None

    def urgency(self, decision_id: str, promised: dict[str, datetime]) -> tuple:
        """Its sort key, computed again only when its facts or its shipment's promised time moved."""
        promised_at = promised.get(self.facts[-1])
        if self.key is None or promised_at != self.promised_at:
            self.promised_at, self.key = promised_at, _urgency_key(decision_id, self.facts, promised)
        return self.key


class InboxCache:
    """What every caller of one process shares: what orders each waiting decision, the order of the latest
    version, and the latest pages as sent. Many open consoles polling the same inbox cost one computation per
    change, and a change reads only the decisions that changed."""

    def __init__(self, size: int = 64) -> None:
        self.size, self.pages = size, OrderedDict[str, bytes]()
        self.waiting: dict[str, _Waiting] = {}  # by decision id
        self.ordered: tuple[str, list[tuple]] = ("", [])  # (version, urgency keys)
        self.computing = threading.Lock()  # one computation at a time: callers missing together wait for it

    def page(self, tag: str, compute: Callable[[], Inbox]) -> bytes:
        """The page kept for this tag, else computed once (however many callers ask at the same moment)."""
        if (body := self.pages.get(tag)) is not None:
            return body
        with self.computing:
            if (body := self.pages.get(tag)) is None:
                body = compute().model_dump_json().encode()
                self.pages[tag] = body
                while len(self.pages) > self.size:
                    self.pages.popitem(last=False)
        return body

    def order(self, session: Session, version: str) -> list[tuple]:
        """The urgency keys of every waiting decision at this version, most urgent first (called while computing)."""
        if self.ordered[0] == version:
            return self.ordered[1]
        waiting = dict(
            session.execute(
                select(col(m.DecisionRecord.id), col(m.DecisionRecord.updated_at)).where(
                    col(m.DecisionRecord.status) == WAITING
                )
            ).all()
        )
        known = self.waiting
        changed = {key for key, updated in waiting.items() if key not in known or known[key].updated_at != updated}
        self.waiting = {key: known[key] for key in waiting.keys() - changed} | {
            key: _Waiting(waiting[key], facts) for key, facts in _facts(session, sorted(changed)).items()
        }
        promised = _promised(session, {entry.facts[-1] for entry in self.waiting.values() if entry.facts[-1]})
        keys = sorted(entry.urgency(key, promised) for key, entry in self.waiting.items())
        self.ordered = (version, keys)
        return keys


def _page(session: Session, order: list[tuple], limit: int, after: list | None) -> Inbox:
    """One page of the inbox after a cursor's key, its items read from the database."""
    start = bisect_right(order, tuple(after)) if after else 0  # the keys are sorted: no pass over every one
    keys = order[start : start + limit + 1]
    rows = _item_rows(session, [key[-1] for key in keys[:limit]])
    promised = _promised(session, {row.refs["shipment_id"] for row in rows if row.refs.get("shipment_id")})
    items = sorted((_item(row, promised) for row in rows), key=urgency)
    clock = store.as_of(session)
    return Inbox(
        as_of=_utc(clock) if clock else None,
        items=items,
        total=len(order),
        next_cursor=encode_cursor(list(keys[limit - 1])) if len(keys) > limit else None,
    )
