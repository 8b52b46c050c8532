"""The exception desk: takes exceptions in idempotently, runs the graph, and resumes paused decisions."""

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.types import Command
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from agents import detectors
from agents.policy import ensure_defaults
from agents.schemas import Decision, ExceptionIn
from agents.toolbox import Toolbox, open_toolbox
from graph.build import build_graph
from graph.checkpoint import open_checkpointer
from graph.records import audit
from graph.state import DeskState, Verdict
from twin import models as m
from twin.settings import Settings


class DecisionConflict(RuntimeError):
    """The decision is not waiting for approval (already acted on, or never paused)."""


class DecisionNotFound(LookupError):
    """No decision has this id."""


class Desk:
    """One compiled graph over one toolbox and the process's checkpointer."""

    def __init__(self, toolbox: Toolbox, checkpointer: BaseCheckpointSaver) -> None:
        self.toolbox = toolbox
        self.graph = build_graph(checkpointer)

    def _stored(self, exception: ExceptionIn, idempotency_key: str | None) -> m.ExceptionRecord | None:
        """The exception already taken in under this external id or idempotency key."""
        clauses = []
        if exception.external_id:
            clauses.append(m.ExceptionRecord.external_id == exception.external_id)
        if idempotency_key:
            clauses.append(m.ExceptionRecord.idempotency_key == idempotency_key)
        if not clauses:
            return None
        with self.toolbox.session() as session:
            for clause in clauses:
                found = session.exec(select(m.ExceptionRecord).where(clause)).first()
                if found:
                    return found
        return None

    def submit(self, exception: ExceptionIn, actor: str = "system", idempotency_key: str | None = None) -> Decision:
        """Handle an exception; a retry with the same external id or key returns the first decision."""
        existing = self._stored(exception, idempotency_key)
        if existing is None:
            exception_id = f"EXC-{uuid.uuid4().hex[:12].upper()}"
            try:
                self._take_in(exception_id, exception, actor, idempotency_key)
            except IntegrityError:
                existing = self._stored(exception, idempotency_key)
        if existing is not None:
            return self.decision_for_exception(existing.id)
        state = DeskState(exception_id=exception_id, exception=exception, actor=actor)
        result = self.graph.invoke(state, self._config(exception_id), context=self.toolbox)
        return DeskState.model_validate(result).decision

    def _take_in(self, exception_id: str, exception: ExceptionIn, actor: str, idempotency_key: str | None) -> None:
        """Store the exception before anything else happens to it."""
        now = datetime.now(UTC)
        with self.toolbox.session() as session:
            session.add(m.ExceptionRecord(
                id=exception_id, type=exception.type, description=exception.description,
                refs=exception.refs.present(), severity=exception.severity, source=exception.source,
                occurred_at=exception.occurred_at or now, external_id=exception.external_id,
                idempotency_key=idempotency_key, actor=actor, created_at=now,
            ))
            session.flush()
            audit(session, "exception.received", actor, exception_id, source=exception.source)
            session.commit()

    def decision_for_exception(self, exception_id: str) -> Decision:
        """The stored decision of an exception, waiting for the graph if it is still running."""
        with self.toolbox.session() as session:
            record = session.exec(select(m.DecisionRecord).where(m.DecisionRecord.exception_id == exception_id)).first()
        if record is None:
            state = self.graph.get_state(self._config(exception_id))
            if state.values and state.values.get("decision"):
                return DeskState.model_validate(state.values).decision
            raise DecisionNotFound(f"exception {exception_id} has no decision yet")
        return Decision.model_validate(record.payload)

    def resume(self, decision_id: str, verdict: Verdict) -> Decision:
        """Approve, reject or override a paused decision, exactly once."""
        with self.toolbox.session() as session:
            record = session.get(m.DecisionRecord, decision_id)
            if record is None:
                raise DecisionNotFound(f"decision {decision_id} not found")
            claimed = session.execute(
                update(m.DecisionRecord)
                .where(m.DecisionRecord.id == decision_id, m.DecisionRecord.status == "pending_approval")
                .values(status="resuming")
            ).rowcount
            session.commit()
            thread_id = record.thread_id
        if claimed != 1:
            raise DecisionConflict(f"decision {decision_id} is {record.status}, not pending_approval")
        result = self.graph.invoke(Command(resume=verdict.model_dump(mode="json")), self._config(thread_id),
                                   context=self.toolbox)
        return DeskState.model_validate(result).decision

    def detect(self) -> list[tuple[ExceptionIn, Decision]]:
        """Run the detectors and handle every new exception they raise."""
        return [(exception, self.submit(exception, actor="detector")) for exception in detectors.detect(self.toolbox)]

    @staticmethod
    def _config(thread_id: str) -> dict:
        """The graph config of an exception's thread."""
        return {"configurable": {"thread_id": thread_id}}


@contextmanager
def open_desk(settings: Settings, engine: Engine | None = None) -> Iterator[Desk]:
    """The desk for the settings with its checkpointer, default policies in place; closes both after use."""
    toolbox = open_toolbox(settings, engine)
    with toolbox.session() as session:
        ensure_defaults(session)
        session.commit()
    with open_checkpointer(settings) as checkpointer:
        yield Desk(toolbox, checkpointer)
