"""Writing the graph's outcomes to the twin: decisions, verdicts, overrides and audit events."""

from datetime import UTC, datetime

from sqlmodel import Session, select

from agents.schemas import Decision
from graph.state import Verdict
from twin import models as m


def audit(session: Session, kind: str, actor: str, exception_id: str | None, decision_id: str | None = None,
          **detail) -> None:
    """Append one audit event."""
    session.add(m.AuditEvent(at=datetime.now(UTC), actor=actor, kind=kind, exception_id=exception_id,
                             decision_id=decision_id, detail=detail))


def save_decision(session: Session, decision: Decision, thread_id: str) -> None:
    """Insert or update a decision, its proposed actions, and its exception's status."""
    now = datetime.now(UTC)
    record = session.get(m.DecisionRecord, decision.decision_id)
    payload = decision.model_dump(mode="json")
    if record is None:
        record = m.DecisionRecord(id=decision.decision_id, exception_id=decision.exception_id,
                                  specialist=decision.specialist or "none", status=decision.status,
                                  confidence=decision.confidence, payload=payload, thread_id=thread_id,
                                  created_at=now, updated_at=now)
    record.status, record.payload, record.confidence, record.updated_at = decision.status, payload, decision.confidence, now
    session.add(record)
    session.flush()
    stored = {r.id: r for r in session.exec(select(m.ActionRecord).where(m.ActionRecord.decision_id == decision.decision_id))}
    wanted = {f"{decision.decision_id}-A{index + 1}": action for index, action in enumerate(decision.actions)}
    for action_id, record in stored.items():
        if record.status == "proposed" and action_id not in wanted:
            record.status = "superseded"  # an override dropped it
        elif record.status == "proposed" and decision.status == "rejected":
            record.status = "rejected"
        session.add(record)
    for action_id, action in wanted.items():
        record = stored.get(action_id)
        if record is None:
            record = m.ActionRecord(id=action_id, decision_id=decision.decision_id, type=action.type, params=action.params)
        if record.status == "proposed":
            record.type, record.params = action.type, action.params
            record.status = "rejected" if decision.status == "rejected" else "proposed"
        session.add(record)
    exception = session.get(m.ExceptionRecord, decision.exception_id)
    exception.status = "open" if decision.status in ("pending_approval", "needs_info") else "closed"
    session.add(exception)


def record_verdict(session: Session, decision: Decision, verdict: Verdict, original: list) -> None:
    """Keep a person's verdict once; an override also keeps the original and new actions as labelled data."""
    if session.exec(select(m.Approval).where(m.Approval.decision_id == decision.decision_id)).first():
        return
    now = datetime.now(UTC)
    session.add(m.Approval(decision_id=decision.decision_id, actor=verdict.actor, verdict=verdict.verdict,
                           reason=verdict.reason, at=now))
    if verdict.verdict == "override":
        session.add(m.Override(decision_id=decision.decision_id, actor=verdict.actor, original_actions=original,
                               new_actions=[action.model_dump(mode="json") for action in decision.actions],
                               reason=verdict.reason or "", at=now))
