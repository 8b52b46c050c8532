"""What every fault scenario checks afterwards: nothing lost, nothing done twice, a clear status."""

from sqlalchemy import func
from sqlmodel import select

from twin import models as m
from twin.db import make_engine, session_scope

SETTLED = {"executed", "overridden", "rejected", "pending_approval", "needs_info", "no_action", "superseded", "expired"}


def assert_decided_once(database_url: str, exception_id: str) -> m.DecisionRecord:
    """The exception has exactly one decision, in a settled status, concluded (audited) at most once, and each of
    its actions executed at most once with one outbox message each."""
    engine = make_engine(database_url)
    with session_scope(engine) as session:
        exception = session.get(m.ExceptionRecord, exception_id)
        assert exception is not None, f"{exception_id} was lost"
        assert exception.intake == "decided", f"{exception_id} is still {exception.intake}"
        [decision] = session.exec(select(m.DecisionRecord).where(m.DecisionRecord.exception_id == exception_id)).all()
        assert decision.status in SETTLED and decision.payload["status"] == decision.status
        finals = session.exec(
            select(func.count())
            .select_from(m.AuditEvent)
            .where(m.AuditEvent.kind == "decision.final", m.AuditEvent.decision_id == decision.id)
        ).one()
        assert finals == (0 if decision.status == "pending_approval" else 1), f"decision.final audited {finals} times"
        actions = session.exec(select(m.ActionRecord).where(m.ActionRecord.decision_id == decision.id)).all()
        executed = [a.id for a in actions if a.status == "executed"]
        outbox = session.exec(select(m.OutboxMessage).where(m.OutboxMessage.decision_id == decision.id)).all()
        sent = [message.id for message in outbox if message.event_type.startswith("action.")]
        assert sorted(sent) == sorted(f"OUT-{action_id}" for action_id in executed)
        announced = [message.event_type for message in outbox if message.event_type.startswith("decision.")]
        assert f"decision.{decision.status}" in announced, f"{decision.id} {decision.status} was not announced"
        if decision.status in ("executed", "overridden"):
            assert executed and len(executed) == len(decision.payload["actions"])
        else:
            assert not executed
    engine.dispose()
    return decision


def exception_ids(database_url: str) -> list[str]:
    """Every stored exception, oldest first."""
    engine = make_engine(database_url)
    with session_scope(engine) as session:
        ids = session.exec(select(m.ExceptionRecord.id).order_by(m.ExceptionRecord.created_at)).all()
    engine.dispose()
    return list(ids)
