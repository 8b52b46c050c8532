"""The exception desk: takes exceptions in, decides each exactly once, applies verdicts, and recovers stranded work."""

import logging
import time
from collections.abc import Callable, Generator, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Literal

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.types import Command, Durability
from sqlalchemy import ColumnElement, Row, update
from sqlalchemy import select as core_select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from agents.policy import ensure_defaults
from agents.schemas import Decision, ExceptionIn
from agents.toolbox import Toolbox, open_toolbox
from graph import facts, intake
from graph.build import build_graph
from graph.checkpoint import open_checkpointer
from graph.faults import fault_point
from graph.intake import ClaimLost, Fence, IdempotencyMismatch, TakenIn
from graph.nodes import DeskRun
from graph.precedents import BackgroundIndexer, InlineIndexer, index_pending, retire_old
from graph.records import FINAL, audit, conclude, decision_id_for, exception_refs, made_at
from graph.retention import keep_latest
from graph.state import DeskState, Verdict
from twin import models as m
from twin import store
from twin.kpis import aware
from twin.settings import Settings

if TYPE_CHECKING:
    from agents import detectors
    from graph.queue import TaskQueue

logger = logging.getLogger(__name__)
POLL_S = 0.2
MAX_ATTEMPTS = 5  # a process that ran the graph and found it undecided takes it over again only this often
SWEEP_BATCH = 50
WAITING_PAGE = 10 * SWEEP_BATCH  # waiting decisions the sweep reads per query, until it has seen them all
BACKGROUND_DECISIONS = 8  # threads deciding in process for answers that outlive their request's wait
# A run's checkpoint is written when it pauses for approval, fails or ends, not after every step: the steps write to
# the database only in the decision's one transaction (the pause or the end) and note their audit events in the
# state until then, so a process that dies midway leaves nothing behind and the run starts over.
DURABILITY: Durability = "exit"

__all__ = [
    "DecisionConflict",
    "DecisionFailed",
    "DecisionNotFound",
    "DecisionPending",
    "Desk",
    "IdempotencyMismatch",
    "OffSubject",
    "open_desk",
]


class DecisionConflict(RuntimeError):
    """The decision is not waiting for approval (already acted on, expired, or a verdict is being applied)."""


class DecisionNotFound(LookupError):
    """No decision (or exception) has this id."""


class DecisionFailed(RuntimeError):
    """Making the decision on a stored exception failed; it is tried again, then ends `failed`."""

    def __init__(self, exception_id: str, error: BaseException) -> None:
        self.exception_id = exception_id
        super().__init__(f"the decision on {exception_id} failed ({type(error).__name__}); it will be tried again")


class OffSubject(ValueError):
    """An override names shipments, trucks or SKUs beyond its decision's subject and plan."""

    def __init__(self, decision_id: str, references: list[facts.Reference]) -> None:
        self.references = references
        named = ", ".join(reference.code for reference in references)
        super().__init__(f"the override of {decision_id} names {named}, outside its subject and plan")


class DecisionPending(RuntimeError):
    """The decision is still being made by another request or process; ask again shortly."""


Indexing = Literal["background", "inline", "sweep"]
INDEXERS: dict[Indexing, Callable[[], BackgroundIndexer | InlineIndexer | None]] = {
    "background": BackgroundIndexer,
    "inline": InlineIndexer,
    "sweep": lambda: None,
}


class Desk:
    """One compiled graph over one toolbox and the process's checkpointer; with a task queue, intake enqueues each
    decision for the workers instead of making it in process."""

    def __init__(
        self,
        toolbox: Toolbox,
        checkpointer: BaseCheckpointSaver[str],
        indexing: Indexing = "background",
        queue: "TaskQueue | None" = None,
    ) -> None:
        self.toolbox = toolbox
        self.settings: Settings = toolbox.settings
        self.checkpointer = checkpointer
        self.graph = build_graph(checkpointer)
        self.indexer = INDEXERS[indexing]()  # precedents after commit: off the way, in line, or by the sweep only
        self.queue = queue
        self._background = ThreadPoolExecutor(BACKGROUND_DECISIONS, thread_name_prefix="decide")

    def close(self) -> None:
        """Stop taking background work (what is left is claimed in the database, the sweep finishes it); wait for
        the precedent indexing in flight."""
        self._background.shutdown(wait=False, cancel_futures=True)
        if self.indexer is not None:
            self.indexer.wait()

    # --- intake -------------------------------------------------------------------------------------------------

    def submit(self, exception: ExceptionIn, actor: str = "system", idempotency_key: str | None = None) -> Decision:
        """Handle an exception once: a retry (same key or external id) or a duplicate gets the decision already made."""
        taken = self.take_in(exception, actor, idempotency_key)
        fault_point(self.settings, "intake.stored")
        if taken.fence:
            return self._decide(taken.fence, exception, actor)
        if self.queue:
            decision = self._queued_decision(taken)
        else:
            decision = self.wait_for_decision(taken.duplicate_of or taken.exception_id)
        return decision.model_copy(update={"duplicate_of": taken.duplicate_of}) if taken.duplicate_of else decision

    def _queued_decision(self, taken: TakenIn) -> Decision:
        """The decision the workers make on a queued exception, within the decision wait."""
        decision = self.await_decision(taken.duplicate_of or taken.exception_id, self.settings.decision_wait_s)
        if decision is None:
            raise DecisionPending(f"exception {taken.exception_id} is queued and not decided yet")
        return decision

    def answer(
        self, exception: ExceptionIn, actor: str, idempotency_key: str | None, wait_s: float
    ) -> tuple[TakenIn, Decision | None]:
        """Take an exception in and wait up to `wait_s` for its decision (None when it is not ready by then; in
        process, the decision goes on in a background thread)."""
        taken = self.take_in(exception, actor, idempotency_key)
        fault_point(self.settings, "intake.stored")
        target = taken.duplicate_of or taken.exception_id
        decision = None if taken.fence else self.await_decision(target, wait_s if self.queue else 0)
        if decision is None and self.queue is None:
            future: Future[Decision] = (
                self._background.submit(self._decide, taken.fence, exception, actor)
                if taken.fence
                else self._background.submit(self.wait_for_decision, target)
            )
            try:
                decision = future.result(timeout=wait_s)
            except (FutureTimeout, DecisionPending):
                decision = None
            except Exception as error:
                raise DecisionFailed(taken.exception_id, error) from error
        if decision is not None and taken.duplicate_of:
            decision = decision.model_copy(update={"duplicate_of": taken.duplicate_of})
        return taken, decision

    def take_in(self, exception: ExceptionIn, actor: str, idempotency_key: str | None) -> TakenIn:
        """Store the exception (or find it stored) in one transaction, with its queued decision in queue mode; a
        same-key race stores it once."""
        for attempt in range(2):
            with self.toolbox.session() as session:
                try:
                    taken = intake.take_in(
                        session,
                        exception,
                        actor,
                        idempotency_key,
                        self.settings.claim_lease_s,
                        self.settings.duplicate_window_h,
                        claimed=self.queue is None,
                    )
                    self._enqueue(session, taken)
                    session.commit()
                    return taken
                except IntegrityError:
                    session.rollback()
                    if attempt:
                        raise
        raise AssertionError("unreachable")

    def _enqueue(self, session: Session, taken: TakenIn) -> None:
        """In queue mode, defer the decision of a newly stored exception in the transaction that stores it."""
        if self.queue and taken.new:
            record = store.row(session, m.ExceptionRecord, taken.exception_id)
            self.queue.defer_decision(session, record.id, record.refs or {})

    def await_decision(self, exception_id: str, wait_s: float) -> Decision | None:
        """The exception's decision once made (by any process), waiting up to `wait_s`; None if not ready by then
        or if its queued decision failed."""
        deadline = time.monotonic() + wait_s
        pause = 0.05
        while True:
            with self.toolbox.session() as session:
                record = store.row(session, m.ExceptionRecord, exception_id)
                if record.intake == "decided":
                    return self._latest(session, exception_id)
            if record.intake == "failed" or time.monotonic() >= deadline:
                return None
            time.sleep(min(pause, max(0.0, deadline - time.monotonic())))
            pause = min(2 * pause, POLL_S)

    def _decide(self, fence: Fence, exception: ExceptionIn, actor: str) -> Decision:
        """Run (or continue, after a crash) the graph of an exception this process has claimed; a failed try gives
        the exception back for the sweep, the last one ends it `failed`."""
        try:
            finished = self._run(fence, exception, actor)
        except Exception as error:
            failure = f"{type(error).__name__}: {error}"[:500]
            with self.toolbox.session() as session:
                if store.row(session, m.ExceptionRecord, fence.row_id).attempts >= self.settings.decide_max_attempts:
                    intake.fail(session, fence.row_id, failure, actor, claim=fence.token)
                    session.commit()
                    raise
            self._give_back(fence, failure)
            raise
        self._index_soon()
        if finished:  # the run stored its decision, at its end or at its pause for approval
            with self.toolbox.session() as session:
                return self._latest(session, fence.row_id)
        return self.wait_for_decision(fence.row_id, MAX_ATTEMPTS)

    def _run(self, fence: Fence, exception: ExceptionIn, actor: str) -> bool:
        """Run the graph under the claim; False when another process took the exception over meanwhile."""
        config = self._config(fence.row_id)
        snapshot = self.graph.get_state(config)
        started = snapshot.values.get("model_versions") if snapshot.values else None
        run = DeskRun(self.toolbox.pinned(started or None), fence)  # a resumed run keeps the versions it began with
        try:
            if not snapshot.values:
                state = DeskState(exception_id=fence.row_id, exception=exception, actor=actor)
                self.graph.invoke(state, config, context=run, durability=DURABILITY)
            elif snapshot.tasks and not snapshot.interrupts:  # a failed run left steps to run (perhaps the first)
                self.graph.invoke(None, config, context=run, durability=DURABILITY)
        except ClaimLost:
            logger.warning("exception %s was taken over by another process", fence.row_id)
            return False
        except facts.StaleFacts as error:  # a truck it books was booked meanwhile: decide again on current facts
            decided = DeskState.model_validate(self.graph.get_state(config).values).decided()
            self._supersede(fence, decided, fence.row_id, actor, [str(error)])
        return True

    # --- queued decisions (workers) -----------------------------------------------------------------------------

    def decide_queued(self, exception_id: str, job: str | None = None) -> Decision | None:
        """A worker's turn at a queued exception: claim it and decide it; None when it is decided or held by a live
        process. On failure the claim is given back for the retry; when it cannot be (the database is away), the next
        try of the same `job` takes it over rather than wait for its lease to lapse."""
        with self.toolbox.session() as session:
            fence = intake.claim_exception(session, exception_id, self.settings.claim_lease_s, job)
            record = store.row(session, m.ExceptionRecord, exception_id)
            session.commit()
        if fence is None:
            return None
        try:
            if not self._run(fence, ExceptionIn.of(record), record.actor):
                return None
        except Exception as error:
            self._give_back(fence, f"{type(error).__name__}: {error}")
            raise
        self._index_soon()
        with self.toolbox.session() as session:
            if store.row(session, m.ExceptionRecord, exception_id).intake != "decided":
                raise RuntimeError(f"the graph of {exception_id} ended without a decision")
            return self._latest(session, exception_id)

    def _give_back(self, fence: Fence, failure: str) -> None:
        """Release a claim whose run failed (noting why), so that a retry or the sweep can claim it again."""
        table = m.ExceptionRecord
        with self.toolbox.session() as session:
            session.exec(
                update(table)
                .where(
                    col(table.id) == fence.row_id,
                    col(table.claim) == fence.token,
                    col(table.intake).in_(intake.UNDECIDED),
                )
                .values(claim=None, lease_until=None, intake="received", failure=failure[:500])
            )
            session.commit()

    def fail_queued(self, exception_id: str, error: BaseException) -> None:
        """End an exception whose queued decision failed every try `failed` (audited, announced)."""
        with self.toolbox.session() as session:
            intake.fail(session, exception_id, f"{type(error).__name__}: {error}", "worker")
            session.commit()

    def retry(self, exception_id: str, actor: str) -> None:
        """Decide a failed exception afresh: queued again, or (in process) decided in the background."""
        with self.toolbox.session() as session:
            record = session.get(m.ExceptionRecord, exception_id)
            if record is None:
                raise DecisionNotFound(f"exception {exception_id} not found")
            if not intake.reopen(session, exception_id, actor):
                raise DecisionConflict(f"exception {exception_id} is {record.intake}, not failed")
            if self.queue:
                self.queue.defer_decision(session, exception_id, record.refs or {})
            session.commit()
        if self.queue is None:
            self._background.submit(self.wait_for_decision, exception_id, MAX_ATTEMPTS)

    def _index_soon(self) -> None:
        """Have the background thread index the precedents of the decisions just stored."""
        if self.indexer is not None:
            self.indexer.request(self.toolbox)

    def wait_for_decision(self, exception_id: str, max_attempts: int = 0) -> Decision:
        """The exception's decision; waits while another process makes it, and takes it over (while it has had
        fewer than `max_attempts`, 0 for no limit) if that one died."""
        deadline = time.monotonic() + self.settings.decision_wait_s
        while True:
            with self.toolbox.session() as session:
                record = store.row(session, m.ExceptionRecord, exception_id)
                if record.intake == "decided":
                    return self._latest(session, exception_id)
                fence = None
                if not max_attempts or record.attempts < max_attempts:
                    fence = intake.claim_exception(session, exception_id, self.settings.claim_lease_s)
                session.commit()
            if fence:
                return self._decide(fence, ExceptionIn.of(record), record.actor)
            if time.monotonic() >= deadline:
                raise DecisionPending(f"exception {exception_id} is still being decided")
            time.sleep(POLL_S)

    def _latest(self, session: Session, exception_id: str) -> Decision:
        """The decision of an exception, following supersessions to the newest one."""
        record = session.exec(
            select(m.DecisionRecord).where(col(m.DecisionRecord.exception_id) == exception_id)
        ).first()
        if record is None:
            raise LookupError(f"exception {exception_id} has no decision")
        decision = Decision.of(record)
        while decision.superseded_by and (newer := session.get(m.DecisionRecord, decision.superseded_by)):
            decision = Decision.of(newer)
        return decision

    # --- verdicts -----------------------------------------------------------------------------------------------

    def resume(self, decision_id: str, verdict: Verdict) -> Decision:
        """Apply a verdict to a decision waiting for approval, exactly once; stale facts supersede it instead."""
        self._recover_verdict(decision_id)
        with self.toolbox.session() as session:
            record = session.get(m.DecisionRecord, decision_id)
            if record is None:
                raise DecisionNotFound(f"decision {decision_id} not found")
            if verdict.actions:
                refs = exception_refs(store.row(session, m.ExceptionRecord, record.exception_id))
                plan = Decision.of(record).actions
                if beyond := facts.outside(refs, plan, verdict.actions):
                    raise OffSubject(decision_id, beyond)
            fence = intake.claim(
                session,
                "decision",
                decision_id,
                self._awaiting(),
                self.settings.claim_lease_s,
                verdict=verdict.model_dump(mode="json"),
            )
            session.commit()
        if fence is None:
            raise DecisionConflict(self._why_not_waiting(decision_id))
        fault_point(self.settings, "verdict.claimed")
        if self._expired(record):
            self._conclude_unexecuted(fence, record, "expired", verdict)
            expiry = self._expiry(made_at(record.twin_at, record.created_at), record.action_types)
            raise DecisionConflict(f"decision {decision_id} expired at {expiry.isoformat()} on the twin's clock")
        with self.toolbox.session() as session:
            exception = store.row(session, m.ExceptionRecord, record.exception_id)
            stale = facts.changes(
                record.fingerprint,
                facts.fingerprint(session, exception_refs(exception), Decision.of(record).actions),
            )
        if stale and verdict.verdict != "reject":
            return self._supersede(fence, Decision.of(record), record.thread_id, verdict.actor, stale, verdict)
        return self._apply(fence, record.thread_id, verdict)

    @staticmethod
    def _awaiting() -> ColumnElement[bool]:
        """Pending, with no verdict stored and no process working on it."""
        table = m.DecisionRecord
        return (col(table.status) == "pending_approval") & col(table.verdict).is_(None) & intake.lapsed(table)

    def _why_not_waiting(self, decision_id: str) -> str:
        """Why a verdict cannot be taken now, for the 409."""
        with self.toolbox.session() as session:
            record = store.row(session, m.DecisionRecord, decision_id)
        if record.status == "pending_approval":
            return f"decision {decision_id} has a verdict being applied"
        return f"decision {decision_id} is {record.status}, not pending_approval"

    def _apply(self, fence: Fence, thread_id: str, verdict: Verdict) -> Decision:
        """Resume a fresh copy of the paused checkpoint with the verdict, so that no earlier verdict's writes are
        replayed; on failure the claim is released and the failure audited."""
        paused = next((s.config for s in self.graph.get_state_history(self._config(thread_id)) if s.interrupts), None)
        if paused is None:
            raise DecisionConflict(f"decision {fence.row_id} has no paused run to resume")
        fork = self.graph.update_state(paused, None, as_node="__copy__")
        try:
            self.graph.invoke(
                Command(resume=verdict.model_dump(mode="json")),
                fork,
                context=DeskRun(self.toolbox, fence),
                durability=DURABILITY,
            )
        except ClaimLost:
            logger.warning("the verdict on %s was taken over by another process", fence.row_id)
        except facts.StaleFacts as error:
            with self.toolbox.session() as session:
                record = store.row(session, m.DecisionRecord, fence.row_id)
            return self._supersede(fence, Decision.of(record), thread_id, verdict.actor, [str(error)], verdict)
        except Exception as error:
            self._release(fence, verdict, error)
            if isinstance(error, ValueError):
                raise DecisionConflict(f"decision {fence.row_id} cannot execute now: {error}") from error
            raise
        self._index_soon()
        with self.toolbox.session() as session:
            return Decision.of(store.row(session, m.DecisionRecord, fence.row_id))

    def _release(self, fence: Fence, verdict: Verdict, error: Exception) -> None:
        """Give up a verdict claim whose run failed, so the decision waits for a verdict again; audit the failure."""
        with self.toolbox.session() as session:
            record = store.row(session, m.DecisionRecord, fence.row_id)
            if record.claim == fence.token and record.status == "pending_approval":
                record.verdict = record.claim = record.lease_until = None
                session.add(record)
                audit(
                    session,
                    "verdict.failed",
                    verdict.actor,
                    record.exception_id,
                    record.id,
                    verdict=verdict.verdict,
                    verdict_id=verdict.verdict_id,
                    error=f"{type(error).__name__}: {error}"[:500],
                )
                session.commit()

    def _recover_verdict(self, decision_id: str) -> bool:
        """Finish a verdict whose process died (its claim lapsed) with the verdict it stored; whether one was."""
        table = m.DecisionRecord
        with self.toolbox.session() as session:
            fence = intake.claim(
                session,
                "decision",
                decision_id,
                (col(table.status) == "pending_approval") & col(table.verdict).is_not(None) & intake.lapsed(table),
                self.settings.claim_lease_s,
            )
            record = store.row(session, table, decision_id) if fence else None
            session.commit()
        if fence is None or record is None:
            return False
        logger.warning("resuming the verdict on %s left by a process that died", decision_id)
        try:
            self._apply(fence, record.thread_id, Verdict.model_validate(record.verdict))
        except DecisionConflict as error:
            logger.warning("%s", error)
        return True

    def _supersede(
        self,
        fence: Fence,
        old: Decision,
        thread_id: str,
        actor: str,
        stale: list[str],
        verdict: Verdict | None = None,
    ) -> Decision:
        """Retire a decision whose facts changed (on its verdict, or as it was about to execute) and decide its
        exception again on current facts, atomically."""
        with self.toolbox.session() as session:
            fence.hold(session)
            exception = store.row(session, m.ExceptionRecord, old.exception_id)
            fresh_in = ExceptionIn.of(exception).model_copy(update={"source": "recheck", "external_id": None})
            exception.status = "closed"  # no longer open: the fresh exception on its subject is not a duplicate
            session.add(exception)
            session.flush()
            taken = intake.take_in(
                session, fresh_in, actor, None, self.settings.claim_lease_s, 0, claimed=self.queue is None
            )
            self._enqueue(session, taken)
            old = old.model_copy(update={"status": "superseded", "superseded_by": decision_id_for(taken.exception_id)})
            audit(
                session,
                "decision.superseded",
                actor,
                old.exception_id,
                old.decision_id,
                changes=stale,
                verdict=verdict.verdict if verdict else None,
                reason=verdict.reason if verdict else None,
                new_exception_id=taken.exception_id,
            )
            conclude(session, old, thread_id, verdict, old.model_dump(mode="json")["actions"])
            session.commit()
        if taken.fence:  # in queue mode the fresh exception's decision was enqueued with it
            self._decide(taken.fence, fresh_in, actor)
        return old

    # --- expiry and recovery ------------------------------------------------------------------------------------

    def _expiry(self, made: datetime, action_types: list[str]) -> datetime:
        """When, on the twin's clock, a pending decision made at `made` with actions of these types lapses: the
        shortest time-to-live of its action types."""
        ttl = self.settings.pending_ttl_h
        hours = min(
            (ttl.get(kind, self.settings.default_pending_ttl_h) for kind in action_types),
            default=self.settings.default_pending_ttl_h,
        )
        return made + timedelta(hours=hours)

    def _twin_now(self) -> datetime:
        """The twin's clock, against which pending decisions expire (the wall clock before a scenario is loaded)."""
        with self.toolbox.session() as session:
            return aware(store.as_of(session) or datetime.now(UTC))

    def _expired(self, record: m.DecisionRecord) -> bool:
        """Whether a pending decision has outlived its time-to-live on the twin's clock."""
        made = made_at(record.twin_at, record.created_at)
        return self._twin_now() >= self._expiry(made, record.action_types)

    def _conclude_unexecuted(
        self, fence: Fence, record: m.DecisionRecord, status: str, verdict: Verdict | None
    ) -> None:
        """End a pending decision without executing it (expired), under its claim."""
        decision = Decision.of(record).model_copy(update={"status": status})
        with self.toolbox.session() as session:
            fence.hold(session)
            conclude(session, decision, record.thread_id, None, [])
            if verdict:
                audit(
                    session,
                    "verdict.refused",
                    verdict.actor,
                    record.exception_id,
                    record.id,
                    verdict=verdict.verdict,
                    reason=f"the decision {status}",
                )
            session.commit()

    def sweep(self) -> dict[str, int]:
        """Decide exceptions whose process died, finish verdicts left midway, expire overdue decisions, index
        precedents left pending, prune old checkpoints and retire old precedents; one item failing is logged and
        counted (`errors`), never stops the rest."""
        done: dict[str, int] = dict.fromkeys(
            ("decided", "requeued", "failed", "verdicts", "expired", "indexed", "pruned", "retired", "errors"), 0
        )
        now = self._twin_now()
        with self.toolbox.session() as session:
            stranded = session.exec(
                select(m.ExceptionRecord)
                .where(col(m.ExceptionRecord.intake).in_(intake.UNDECIDED), intake.lapsed(m.ExceptionRecord))
                .limit(SWEEP_BATCH)
            ).all()
        for record in stranded:
            if record.attempts >= self.settings.decide_max_attempts:
                self._isolated(done, "failed", record.id, lambda record=record: self._give_up(record))
            elif queue := self.queue:  # a worker died holding it, or its job was lost: queue it again (once)
                self._isolated(done, "requeued", record.id, lambda r=record, q=queue: self._requeue(q, r))
            else:
                self._isolated(done, "decided", record.id, lambda record=record: self._retry_stranded(record))
        for decision_id, has_verdict, twin_at, created_at, action_types in self._waiting():
            if has_verdict:
                self._isolated(done, "verdicts", decision_id, lambda key=decision_id: self._recover_verdict(key))
            elif self._expiry(made_at(twin_at, created_at), action_types) <= now:
                self._isolated(done, "expired", decision_id, lambda key=decision_id: self._expire(key))
        self._isolated(done, "indexed", "precedents", lambda: index_pending(self.toolbox))
        self._isolated(done, "pruned", "checkpoints", self._prune_checkpoints)
        retention = self.settings.precedent_retention_days
        self._isolated(done, "retired", "precedents", lambda: retire_old(self.toolbox, retention))
        return done

    def _waiting(self) -> Iterator[Row[str, bool, datetime | None, datetime, list[str]]]:
        """Every decision waiting for approval as its id, whether a verdict is stored, its twin and wall-clock
        creation times and its action types, read a page at a time in id order: a few columns, never the payloads."""
        table, after = m.DecisionRecord, ""
        while True:
            with self.toolbox.session() as session:
                page = (
                    session.connection()
                    .execute(
                        core_select(
                            col(table.id),
                            col(table.verdict).is_not(None),
                            col(table.twin_at),
                            col(table.created_at),
                            col(table.action_types),
                        )
                        .where(col(table.status) == "pending_approval", col(table.id) > after)
                        .order_by(col(table.id))
                        .limit(WAITING_PAGE)
                    )
                    .all()
                )
            yield from page
            if len(page) < WAITING_PAGE:
                return
            after = page[-1][0]

    def _prune_checkpoints(self) -> int:
        """Keep only the latest checkpoint of decisions concluded longer ago than the retention; how many."""
        table = m.DecisionRecord
        cutoff = datetime.now(UTC) - timedelta(hours=self.settings.checkpoint_retention_h)
        with self.toolbox.session() as session:
            rows = session.exec(
                select(col(table.id), col(table.thread_id))
                .where(
                    col(table.status).in_(FINAL),
                    col(table.updated_at) < cutoff,
                    col(table.checkpoints_pruned).is_(False),
                )
                .limit(SWEEP_BATCH)
            ).all()
        keep_latest(self.checkpointer, sorted({thread for _, thread in rows}))
        with self.toolbox.session() as session:
            session.exec(
                update(table).where(col(table.id).in_([row[0] for row in rows])).values(checkpoints_pruned=True)
            )
            session.commit()
        return len(rows)

    @staticmethod
    def _isolated(done: dict[str, int], count: str, item: str, work: Callable[[], int | bool]) -> None:
        """One item of the sweep: add what it did to `count`; a failure is logged and counted in `errors`."""
        try:
            done[count] += int(work())
        except Exception:
            logger.exception("the sweep could not finish %s (%s); it goes on with the rest", item, count)
            done["errors"] += 1

    def _give_up(self, record: m.ExceptionRecord) -> bool:
        """End a stranded exception that has had all its tries `failed`, with the last try's reason."""
        failure = f"gave up after {record.attempts} tries; last: {record.failure or 'its process stopped'}"
        with self.toolbox.session() as session:
            failed = intake.fail(session, record.id, failure, "sweep")
            session.commit()
        return failed

    def _requeue(self, queue: "TaskQueue", record: m.ExceptionRecord) -> bool:
        """Queue the decision of a stranded exception again, unless its job still waits or runs (a failed try
        waiting for its retry); whether a job was added."""
        with self.toolbox.session() as session:
            if queue.decision_queued(session, record.id):
                return False
            added = queue.defer_decision(session, record.id, record.refs or {}) is not None
            session.commit()
        return added

    def _retry_stranded(self, record: m.ExceptionRecord) -> bool:
        """Decide a stranded exception in process; False when another process is at it."""
        try:
            self.wait_for_decision(record.id)
        except DecisionPending:
            return False
        return True

    def _expire(self, decision_id: str) -> bool:
        """Mark one overdue pending decision `expired` (audited), unless a verdict got to it first."""
        table = m.DecisionRecord
        with self.toolbox.session() as session:
            fence = intake.claim(session, "decision", decision_id, self._awaiting(), self.settings.claim_lease_s)
            record = store.row(session, table, decision_id) if fence else None
            session.commit()
        if fence and record:
            self._conclude_unexecuted(fence, record, "expired", None)
        return fence is not None

    def detect(self) -> list[tuple[ExceptionIn, Decision]]:
        """Run the detectors and handle every new exception they raise (in queue mode: enqueue all, then wait)."""
        from agents import detectors  # the detectors' scoring loads only in processes that detect

        if self.queue is None:
            return [(e, self.submit(e, actor="detector")) for e in detectors.detect(self.toolbox)]
        return [(e, self._queued_decision(taken)) for e, taken in self.raise_detected()]

    def raise_detected(self, part: "detectors.Part | None" = None) -> list[tuple[ExceptionIn, TakenIn]]:
        """Run the detectors (the whole pass, or one part of it) and take in every exception they raise, without
        deciding (queue mode: enqueued)."""
        from agents import detectors

        found = detectors.detect(self.toolbox) if part is None else detectors.detect_part(self.toolbox, part)
        return [(e, self.take_in(e, "detector", None)) for e in found]

    @staticmethod
    def _config(thread_id: str) -> RunnableConfig:
        """The graph config of an exception's thread."""
        return {"configurable": {"thread_id": thread_id}}


@contextmanager
def open_desk(
    settings: Settings,
    engine: Engine | None = None,
    checkpoint_connections: int = 4,
    queue_connections: int | None = None,
) -> Generator[Desk]:
    """The desk for the settings with its checkpointer (and task queue, if configured), default policies in place;
    closes them after use. On PostgreSQL the checkpointer's pool opens up to `checkpoint_connections`, the queue's up
    to `queue_connections` (unset: Procrastinate's default)."""
    queue = None
    if settings.queue:
        from graph.queue import TaskQueue

        queue = TaskQueue(settings, queue_connections)
    toolbox = open_toolbox(settings, engine)
    with toolbox.session() as session:
        ensure_defaults(session)
        session.commit()
    with open_checkpointer(settings, checkpoint_connections) as checkpointer:
        desk = Desk(toolbox, checkpointer, queue=queue)
        try:
            yield desk
        finally:
            desk.close()
