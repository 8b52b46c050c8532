"""Taking exceptions in: idempotency keys bound to their request, duplicates merged by subject, claims on work."""

import hashlib
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Literal

from pydantic import BaseModel
from sqlalchemy import and_, or_, text, update
from sqlalchemy.sql import ColumnElement
from sqlmodel import Session, col, select

from agents.classifier import REQUIRED_REFS
from agents.schemas import ExceptionIn
from graph.records import announce_failure, audit
from twin import models as m
from twin.store import as_of, row

TABLES = {"exception": m.ExceptionRecord, "decision": m.DecisionRecord}
UNDECIDED = ("received", "deciding")  # `failed`: a decision that failed every try, until a planner retries it


class IdempotencyMismatch(ValueError):
    """The idempotency key was first sent with another request body."""


class ClaimLost(RuntimeError):
    """Another process took over the work this one was doing (its lease had lapsed)."""


class Fence(BaseModel):
    """A process's claim on an exception it decides or on a decision whose verdict it applies."""

    on: Literal["exception", "decision"]
    row_id: str
    token: str
    lease_s: float

    def hold(self, session: Session) -> None:
        """Renew the lease in the caller's transaction (locking the row), or raise ClaimLost if it was taken over."""
        table = TABLES[self.on]
        renewed = session.exec(
            update(table)
            .where(col(table.id) == self.row_id, col(table.claim) == self.token)
            .values(lease_until=datetime.now(UTC) + timedelta(seconds=self.lease_s))
        ).rowcount
        if renewed != 1:
            raise ClaimLost(f"{self.on} {self.row_id} was taken over by another process")


def lapsed(table: type[m.ExceptionRecord] | type[m.DecisionRecord]) -> ColumnElement[bool]:
    """No live claim: never claimed, or its lease ran out."""
    return or_(col(table.lease_until).is_(None), col(table.lease_until) < datetime.now(UTC))


def claim(
    session: Session,
    on: Literal["exception", "decision"],
    row_id: str,
    condition: ColumnElement[bool],
    lease_s: float,
    holder: str | None = None,
    **values: object,
) -> Fence | None:
    """Claim a row if it meets the condition, in one conditional update (the claim's token begins with `holder:`
    when given); None when another process has it."""
    table = TABLES[on]
    token = f"{holder}:{uuid.uuid4().hex}" if holder else uuid.uuid4().hex
    fence = Fence(on=on, row_id=row_id, token=token, lease_s=lease_s)
    taken = session.exec(
        update(table)
        .where(col(table.id) == row_id, condition)
        .values(claim=fence.token, lease_until=datetime.now(UTC) + timedelta(seconds=lease_s), **values)
    ).rowcount
    return fence if taken == 1 else None


def claim_exception(session: Session, exception_id: str, lease_s: float, holder: str | None = None) -> Fence | None:
    """Take over an exception whose decision is not made and whose claim lapsed (its process died) or, with a
    `holder`, is that holder's own: a later try of one job takes over what its earlier try could not give back (a job
    is tried again only once its earlier try is over)."""
    table = m.ExceptionRecord
    free = (lapsed(table) | col(table.claim).startswith(f"{holder}:", autoescape=True)) if holder else lapsed(table)
    return claim(
        session,
        "exception",
        exception_id,
        col(table.intake).in_(UNDECIDED) & free,
        lease_s,
        holder,
        intake="deciding",
        attempts=col(table.attempts) + 1,
    )


def subject_of(exception: ExceptionIn) -> str | None:
    """`type:key refs` of a typed exception naming all its required references (None otherwise): two exceptions
    with the same subject are duplicates."""
    if exception.type is None:
        return None
    refs = exception.refs.present()
    keys = REQUIRED_REFS.get(exception.type, ())
    if not keys or any(key not in refs for key in keys):
        return None
    return ":".join([exception.type.value, *(refs[key] for key in keys)])


def request_hash(exception: ExceptionIn) -> str:
    """A hash of the request as the API read it, to bind an idempotency key to one request."""
    return hashlib.sha256(json.dumps(exception.model_dump(mode="json"), sort_keys=True).encode()).hexdigest()


def stored(session: Session, exception: ExceptionIn, idempotency_key: str | None) -> m.ExceptionRecord | None:
    """The exception already taken in under this idempotency key or external id."""
    for column, value in (
        (col(m.ExceptionRecord.idempotency_key), idempotency_key),
        (col(m.ExceptionRecord.external_id), exception.external_id),
    ):
        found = session.exec(select(m.ExceptionRecord).where(column == value)).first() if value else None
        if found:
            return found
    return None


def lock_subject(session: Session, subject: str) -> None:
    """Lock the subject's row until the transaction ends, so that exceptions on one subject are taken in in turn."""
    session.connection().execute(
        text(
            "INSERT INTO subjectlock (subject, touched_at) VALUES (:subject, :at) "
            "ON CONFLICT (subject) DO UPDATE SET touched_at = excluded.touched_at"
        ),
        {"subject": subject, "at": datetime.now(UTC).isoformat()},
    )


def open_on_subject(session: Session, subject: str, window_h: float, now: datetime) -> m.ExceptionRecord | None:
    """The exception that new ones on this subject merge into: still open, or decided and occurred within the window
    before `now` on the twin's clock (a failed one holds nothing)."""
    since = now - timedelta(hours=window_h)
    table = m.ExceptionRecord
    return session.exec(
        select(table)
        .where(
            col(table.subject) == subject,
            col(table.duplicate_of).is_(None),
            or_(col(table.status) == "open", and_(col(table.decided_at).is_not(None), col(table.occurred_at) > since)),
        )
        .order_by(col(table.created_at).desc())
    ).first()


def fail(session: Session, exception_id: str, failure: str, actor: str, claim: str | None = None) -> bool:
    """End an undecided exception whose decision failed every try (unclaimed, or under the caller's claim): status
    and intake `failed` with the reason, audited and announced; it no longer holds its subject. Whether it was
    marked (not decided or taken over meanwhile)."""
    table = m.ExceptionRecord
    held = lapsed(table) | (col(table.claim) == claim) if claim else lapsed(table)
    marked = session.exec(
        update(table)
        .where(col(table.id) == exception_id, col(table.intake).in_(UNDECIDED), held)
        .values(intake="failed", status="failed", failure=failure[:500], claim=None, lease_until=None)
    ).rowcount
    if marked:
        audit(session, "exception.failed", actor, exception_id, failure=failure[:500])
        announce_failure(session, row(session, table, exception_id), failure[:500])
    return bool(marked)


def reopen(session: Session, exception_id: str, actor: str) -> bool:
    """Put a failed exception back to be decided afresh (audited); whether it was failed."""
    table = m.ExceptionRecord
    reopened = session.exec(
        update(table)
        .where(col(table.id) == exception_id, col(table.intake) == "failed")
        .values(intake="received", status="open", failure=None, attempts=0, claim=None, lease_until=None)
    ).rowcount
    if reopened:
        audit(session, "exception.retried", actor, exception_id)
    return bool(reopened)


class TakenIn(BaseModel):
    """What intake did with an exception: a new one to decide (with the claim), a retry, or a duplicate."""

    exception_id: str
    fence: Fence | None = None
    duplicate_of: str | None = None
    new: bool = False  # stored now, to be decided (not a retry, not a duplicate)


def _replayed(session: Session, exception: ExceptionIn, idempotency_key: str | None, digest: str) -> TakenIn | None:
    """The exception stored before under the same key or external id, or None; IdempotencyMismatch when the key was
    first used with another body."""
    earlier = stored(session, exception, idempotency_key)
    if earlier is None:
        return None
    if idempotency_key and earlier.idempotency_key == idempotency_key and earlier.request_hash not in (None, digest):
        raise IdempotencyMismatch(f"Idempotency-Key {idempotency_key!r} was first used with another request body")
    return TakenIn(exception_id=earlier.id, duplicate_of=earlier.duplicate_of)


def take_in(
    session: Session,
    exception: ExceptionIn,
    actor: str,
    idempotency_key: str | None,
    lease_s: float,
    window_h: float,
    claimed: bool = True,
) -> TakenIn:
    """Store an exception (the caller commits): new and claimed for deciding by this process (else `received`, for
    a worker to claim), or merged into an open one."""
    digest = request_hash(exception)
    if (replayed := _replayed(session, exception, idempotency_key, digest)) is not None:
        return replayed
    subject = subject_of(exception)
    now = datetime.now(UTC)
    twin_now = as_of(session) or now
    primary = None
    if subject:
        lock_subject(session, subject)
        primary = open_on_subject(session, subject, window_h, twin_now)
    exception_id = f"EXC-{uuid.uuid4().hex[:12].upper()}"
    fence = None
    if claimed and not primary:
        fence = Fence(on="exception", row_id=exception_id, token=uuid.uuid4().hex, lease_s=lease_s)
    session.add(
        m.ExceptionRecord(
            id=exception_id,
            type=exception.type,
            description=exception.description,
            refs=exception.refs.present(),
            severity=exception.severity,
            source=exception.source,
            occurred_at=exception.occurred_at or twin_now,
            external_id=exception.external_id,
            idempotency_key=idempotency_key,
            actor=actor,
            created_at=now,
            request_hash=digest,
            subject=subject,
            duplicate_of=primary.id if primary else None,
            status="closed" if primary else "open",
            intake="decided" if primary else ("deciding" if fence else "received"),
            claim=fence.token if fence else None,
            attempts=1 if fence else 0,
            lease_until=now + timedelta(seconds=lease_s) if fence else None,
        )
    )
    audit(
        session,
        "exception.received",
        actor,
        exception_id,
        source=exception.source,
        **({"duplicate_of": primary.id} if primary else {}),
    )
    return TakenIn(
        exception_id=exception_id, fence=fence, duplicate_of=primary.id if primary else None, new=primary is None
    )
