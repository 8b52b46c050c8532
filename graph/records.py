"""Writing the graph's outcomes to the twin: decisions, verdicts, overrides and audit events."""

from datetime import UTC, datetime
from typing import Any

from pydantic_core import to_jsonable_python
from sqlalchemy import insert
from sqlmodel import Session, col, select

from agents.schemas import Decision, Refs
from graph.facts import fingerprint
from graph.precedents import hold_pending
from graph.state import AuditNote, Verdict
from tools.knowledge import Precedent
from twin import models as m
from twin import store
from twin.kpis import aware

FINAL = ("executed", "rejected", "overridden", "needs_info", "no_action", "superseded", "expired", "shadowed")
OPEN = ("pending_approval", "needs_info")  # the exception still waits for someone
LAPSED = ("superseded", "expired")  # nothing was decided: later exceptions on the subject do not merge into it


def decision_id_for(exception_id: str) -> str:
    """The id of the decision on an exception."""
    return f"DEC-{exception_id.removeprefix('EXC-')}"


def made_at(twin_at: datetime | None, created_at: datetime) -> datetime:
    """When a decision was made on the twin's clock (its wall-clock creation before a scenario was loaded)."""
    return aware(twin_at or created_at)


def audit(
    session: Session, kind: str, actor: str, exception_id: str | None, decision_id: str | None = None, **detail: Any
) -> None:
    """Append one audit event."""
    session.add(
        m.AuditEvent(
            at=datetime.now(UTC),
            actor=actor,
            kind=kind,
            exception_id=exception_id,
            decision_id=decision_id,
            detail=detail,
        )
    )


def note(kind: str, actor: str, decision_id: str | None = None, **detail: Any) -> AuditNote:
    """An audit event noted now, to be written later with the decision's transaction (`write_notes`)."""
    return AuditNote(
        at=datetime.now(UTC), actor=actor, kind=kind, decision_id=decision_id, detail=to_jsonable_python(detail)
    )


def write_notes(session: Session, exception_id: str, notes: list[AuditNote]) -> None:
    """Append the noted audit events of an exception's run, in the order they were noted, in one batched insert."""
    if notes:
        session.exec(
            insert(m.AuditEvent),
            params=[
                {
                    "at": item.at,
                    "actor": item.actor,
                    "kind": item.kind,
                    "exception_id": exception_id,
                    "decision_id": item.decision_id,
                    "detail": item.detail,
                }
                for item in notes
            ],
        )


def save_decision(session: Session, decision: Decision, thread_id: str) -> None:
    """Insert or update a decision, its proposed actions, and its exception's status; a final decision stays final."""
    store_decision(session, decision, thread_id, session.get(m.DecisionRecord, decision.decision_id))


def store_decision(
    session: Session,
    decision: Decision,
    thread_id: str,
    record: m.DecisionRecord | None,
    precedent: Precedent | None = None,
) -> dict[str, m.ActionRecord]:
    """`save_decision` with the decision's row as the caller read it in this transaction (None: not stored yet) and
    the precedent of a final decision to store on it for indexing after the commit; returns the rows of its actions by
    id (none when the stored decision is final)."""
    if record is not None and record.status in FINAL:
        return {}
    now = datetime.now(UTC)
    new = record is None
    exception = store.row(session, m.ExceptionRecord, decision.exception_id)  # read before anything is added
    twin_at = store.as_of(session) if new else None
    if record is None or record.status != decision.status:
        _announce(session, decision, now)
    if record is None:
        record = m.DecisionRecord(
            id=decision.decision_id,
            exception_id=decision.exception_id,
            specialist=decision.specialist or "none",
            status=decision.status,
            confidence=decision.confidence,
            payload={},
            thread_id=thread_id,
            created_at=now,
            updated_at=now,
            twin_at=twin_at,
        )
    decision = decision.model_copy(update={"created_at": decision.created_at or record.created_at})
    if decision.status == "pending_approval" and not record.fingerprint:
        record.fingerprint = fingerprint(session, exception_refs(exception), decision.actions)
    decision.store(record)
    if precedent:
        hold_pending(record, precedent)
    record.updated_at = now
    session.add(record)
    session.flush()  # the row its actions refer to
    actions = _save_actions(session, decision, {} if new else _stored_actions(session, decision.decision_id))
    exception.status = "open" if decision.status in OPEN else "closed"
    exception.intake = "decided"
    exception.decided_at = now if decision.status in FINAL and decision.status not in LAPSED else None
    session.add(exception)
    return actions


def _announce(session: Session, decision: Decision, now: datetime) -> None:
    """Queue a `decision.<status>` webhook event: subscribers learn of a decision made after its report was answered
    with 202, and of every later change of its status."""
    session.add(
        m.OutboxMessage(
            id=f"OUT-{decision.decision_id}-{decision.status}",
            decision_id=decision.decision_id,
            event_type=f"decision.{decision.status}",
            payload={
                "decision_id": decision.decision_id,
                "exception_id": decision.exception_id,
                "status": decision.status,
                "specialist": decision.specialist,
                "actions": [action.type for action in decision.actions],
                "cost_usd": decision.expected_impact.cost_usd,
                "summary": decision.justification.text if decision.justification else None,
                "url": f"/v1/decisions/{decision.decision_id}",
            },
            created_at=now,
        )
    )


def announce_failure(session: Session, exception: m.ExceptionRecord, failure: str) -> None:
    """Queue an `exception.failed` webhook event: the exception's decision could not be made after its tries."""
    now = datetime.now(UTC)
    session.add(
        m.OutboxMessage(
            id=f"OUT-{exception.id}-failed-{exception.attempts}",
            decision_id=decision_id_for(exception.id),
            event_type="exception.failed",
            payload={
                "exception_id": exception.id,
                "failure": failure,
                "attempts": exception.attempts,
                "url": f"/v1/exceptions/{exception.id}",
            },
            created_at=now,
        )
    )


def exception_refs(exception: m.ExceptionRecord) -> Refs:
    """The references of a stored exception as the public shape."""
    return Refs.model_validate(exception.refs or {})


def _stored_actions(session: Session, decision_id: str) -> dict[str, m.ActionRecord]:
    """The action rows of a stored decision, by id."""
    return {r.id: r for r in session.exec(select(m.ActionRecord).where(col(m.ActionRecord.decision_id) == decision_id))}


def _save_actions(session: Session, decision: Decision, stored: dict[str, m.ActionRecord]) -> dict[str, m.ActionRecord]:
    """Keep one row per proposed action (`stored`: its rows so far); an override's dropped actions are superseded, a
    rejection's rejected, a shadow decision's shadowed (recorded as what it would have done, never executed).
    Returns the rows of the decision's actions by id."""
    wanted = {f"{decision.decision_id}-A{index + 1}": action for index, action in enumerate(decision.actions)}
    ended = decision.status in ("rejected", "shadowed", *LAPSED)
    for action_id, record in stored.items():
        if record.status == "proposed" and action_id not in wanted:
            record.status = "superseded"  # an override dropped it
        elif record.status == "proposed" and ended:
            record.status = decision.status
        session.add(record)
    rows = {}
    for action_id, action in wanted.items():
        record = stored.get(action_id)
        if record is None:
            record = m.ActionRecord(
                id=action_id, decision_id=decision.decision_id, type=action.type, params=action.params.as_dict()
            )
        if record.status == "proposed":
            record.type, record.params = action.type, action.params.as_dict()
            record.status = decision.status if ended else "proposed"
        session.add(record)
        rows[action_id] = record
    return rows


def is_final(session: Session, decision_id: str) -> bool:
    """Whether the decision is stored with a final status."""
    record = session.get(m.DecisionRecord, decision_id)
    return record is not None and record.status in FINAL


def conclude(
    session: Session,
    decision: Decision,
    thread_id: str,
    verdict: Verdict | None,
    proposed: list[dict[str, Any]],
    saved: bool = False,
) -> None:
    """Store a decision's final status with its verdict and its one `decision.final` audit event (`saved`: the
    caller has already stored this decision, final status included, in the same transaction).

    The caller holds the claim on the work (so no other process concludes at the same time), has checked that the
    decision is not final yet (`is_final`: a step replayed after a crash writes nothing), and commits.
    """
    if not saved:
        save_decision(session, decision, thread_id)
    detail: dict[str, Any] = {"status": decision.status, "versions": decision.model_versions}
    if verdict:
        record_verdict(session, decision, verdict, proposed)
        detail |= {"verdict": verdict.verdict, "verdict_id": verdict.verdict_id, "reason": verdict.reason}
        if verdict.verdict == "override":
            detail |= {
                "actions_before": proposed,
                "actions_after": [a.model_dump(mode="json") for a in decision.actions],
            }
    if decision.superseded_by:
        detail["superseded_by"] = decision.superseded_by
    audit(
        session,
        "decision.final",
        verdict.actor if verdict else "system",
        decision.exception_id,
        decision.decision_id,
        **detail,
    )


def record_verdict(session: Session, decision: Decision, verdict: Verdict, original: list[dict[str, Any]]) -> None:
    """Keep a person's verdict once; an override also keeps the original and new actions as labelled data."""
    if session.exec(select(m.Approval).where(col(m.Approval.decision_id) == decision.decision_id)).first():
        return
    now = datetime.now(UTC)
    session.add(
        m.Approval(
            decision_id=decision.decision_id,
            actor=verdict.actor,
            verdict=verdict.verdict,
            reason=verdict.reason,
            at=now,
        )
    )
    if verdict.verdict == "override":
        session.add(
            m.Override(
                decision_id=decision.decision_id,
                actor=verdict.actor,
                original_actions=original,
                new_actions=[action.model_dump(mode="json") for action in decision.actions],
                reason=verdict.reason or "",
                at=now,
            )
        )
