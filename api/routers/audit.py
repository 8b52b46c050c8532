"""The audit trail: who did what and when, filtered by decision, exception, actor, kind and time."""

from datetime import UTC, datetime

from fastapi import APIRouter
from sqlalchemy import Row
from sqlmodel import col, select

from api.auth import PrincipalDep
from api.deps import SessionDep
from api.paging import Cursor, Keyset, Limit, Offset, Page, paginate
from api.schemas import AuditOut
from twin import models as m
from twin.access import SEES_WEBHOOK_URLS, url_origin

router = APIRouter(prefix="/v1/audit", tags=["audit"])
OLDEST_FIRST = Keyset((col(m.AuditEvent.at), col(m.AuditEvent.id)), descending=False)


def _utc(moment: datetime) -> datetime:
    """A moment in UTC (naive moments are read as UTC)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


@router.get("", response_model=Page[AuditOut])
def list_audit(
    session: SessionDep,
    principal: PrincipalDep,
    decision_id: str | None = None,
    exception_id: str | None = None,
    actor: str | None = None,
    kind: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: Limit = 100,
    offset: Offset = 0,
    cursor: Cursor = None,
) -> Page[AuditOut]:
    """Audit events in time order, from `since` (inclusive) to `until` (exclusive); webhook URLs show only their
    scheme and host to roles other than architect and admin."""
    statement = select(m.AuditEvent).order_by(*OLDEST_FIRST.order())
    for column, value in (
        (col(m.AuditEvent.decision_id), decision_id),
        (col(m.AuditEvent.exception_id), exception_id),
        (col(m.AuditEvent.actor), actor),
        (col(m.AuditEvent.kind), kind),
    ):
        if value is not None:
            statement = statement.where(column == value)
    if since:
        statement = statement.where(col(m.AuditEvent.at) >= _utc(since))
    if until:
        statement = statement.where(col(m.AuditEvent.at) < _utc(until))
    full = principal.role in SEES_WEBHOOK_URLS

    def shown(row: Row) -> AuditOut:
        """An audit row as this caller may see it."""
        return _shown(AuditOut.model_validate(row[0]), full)

    return paginate(session, statement, limit, offset, shown, OLDEST_FIRST, cursor)


def _shown(event: AuditOut, full: bool) -> AuditOut:
    """The event as the caller may see it: a webhook URL (older rows stored it whole) cut to its origin."""
    url = event.detail.get("url") if isinstance(event.detail, dict) else None
    if full or not isinstance(url, str):
        return event
    return event.model_copy(update={"detail": {**event.detail, "url": url_origin(url)}})
