"""Precedents after commit: a final decision's knowledge-base copy waits on its row (pending) until a process claims
it, writes it to Chroma and marks it indexed; a claim whose process died lapses and the next pass takes it over."""

import logging
import threading
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, or_, update
from sqlmodel import col, select

from agents.schemas import Decision
from agents.toolbox import Toolbox
from tools.knowledge import Precedent
from twin import models as m
from twin import store
from twin.threads import run_in_background

logger = logging.getLogger(__name__)
PENDING, INDEXED, RETIRED = "pending", "indexed", "retired"
LEASE_S = 120.0  # a claim older than this belongs to a process that died
BATCH = 50  # precedents embedded together in one pass


def hold_pending(record: m.DecisionRecord, precedent: Precedent) -> None:
    """Put the precedent of a final decision on its row, held in the caller's session, not yet indexed."""
    record.precedent = precedent.model_dump(mode="json")
    record.precedent_state = PENDING
    record.precedent_claim = record.precedent_lease_until = None


def _claim(toolbox: Toolbox, limit: int) -> tuple[str, list[m.DecisionRecord]]:
    """Claim up to `limit` pending precedents nobody holds in one conditional update (one statement that reads and
    writes: SQLite takes its write lock first, PostgreSQL skips rows another indexer has locked)."""
    table, now = m.DecisionRecord, datetime.now(UTC)
    free = (col(table.precedent_state) == PENDING) & or_(
        col(table.precedent_lease_until).is_(None), col(table.precedent_lease_until) < now
    )
    token = uuid.uuid4().hex
    batch = (  # materialised: evaluated once, so the statement claims at most `limit` rows
        select(col(table.id))
        .where(free)
        .order_by(col(table.updated_at))
        .limit(limit)
        .with_for_update(skip_locked=True)
        .cte("batch")
        .prefix_with("MATERIALIZED")
    )
    with toolbox.session() as session:
        claimed = session.exec(
            update(table)
            .where(col(table.id).in_(select(batch.c.id)), free)
            .values(precedent_claim=token, precedent_lease_until=now + timedelta(seconds=LEASE_S))
        ).rowcount
        session.commit()
        rows = session.exec(select(table).where(col(table.precedent_claim) == token)).all() if claimed else []
    return token, list(rows)


def _precedent(record: m.DecisionRecord) -> Precedent:
    """The precedent to index, with the decision's outcome when one was checked since it was stored."""
    if record.precedent is None:
        raise ValueError(f"decision {record.id} has no precedent to index")
    outcome = Decision.of(record).outcome
    known = outcome.status if outcome and outcome.status != "pending" else None
    return Precedent.model_validate({**record.precedent, "outcome": known or record.precedent.get("outcome")})


def index_pending(toolbox: Toolbox, limit: int = BATCH) -> int:
    """Index up to `limit` stored decisions not yet in the knowledge base (an upsert by decision id, so indexing
    twice is harmless); safe to run from many processes at once. Returns how many were indexed."""
    token, rows = _claim(toolbox, limit)
    if not rows:
        return 0
    stored = toolbox.knowledge.add_precedents([_precedent(record) for record in rows])
    table = m.DecisionRecord
    with toolbox.session() as session:
        session.exec(  # written: indexed; not written: free again for the next pass
            update(table)
            .where(col(table.precedent_claim) == token)
            .values(precedent_state=INDEXED if stored else PENDING, precedent_claim=None, precedent_lease_until=None)
        )
        session.commit()
    return len(rows) if stored else 0


def index_all(toolbox: Toolbox) -> None:
    """Index every pending precedent, batch after batch; a failure is logged and left to the next pass or sweep."""
    try:
        while index_pending(toolbox, BATCH) == BATCH:
            pass
    except Exception:  # the decisions are stored; their precedents wait for the next pass
        logger.exception("indexing precedents failed; they stay pending")


class InlineIndexer:
    """Indexes the pending precedents in the caller's thread as soon as a pass is asked: each decision then sees the
    knowledge base the earlier ones left, whatever the timing (a simulation is repeatable)."""

    def request(self, toolbox: Toolbox) -> None:
        """Index `toolbox`'s pending precedents now."""
        index_all(toolbox)

    def wait(self, timeout: float | None = None) -> None:
        """Nothing is ever in flight."""


def retire_old(toolbox: Toolbox, retention_days: float, limit: int = BATCH) -> int:
    """Take out of the knowledge base the precedents of up to `limit` decisions made more than `retention_days` ago on
    the twin's clock (0 keeps them all) and mark them retired; their rows keep the decision. Returns how many."""
    if retention_days <= 0:
        return 0
    table = m.DecisionRecord
    made = func.coalesce(col(table.twin_at), col(table.created_at))
    with toolbox.session() as session:
        cutoff = store.clock(session) - timedelta(days=retention_days)
        ids = list(
            session.exec(
                select(col(table.id))
                .where(col(table.precedent_state) == INDEXED, made < cutoff)
                .order_by(made)
                .limit(limit)
            )
        )
        if not ids:
            return 0
        toolbox.knowledge.remove_precedents(ids)
        session.exec(update(table).where(col(table.id).in_(ids)).values(precedent_state=RETIRED))
        session.commit()
    return len(ids)


class BackgroundIndexer:
    """One thread that runs `index_pending` after decisions; requests made while it runs coalesce into one more pass,
    and the thread ends when nothing is asked, so a process never holds an idle one."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._wanted: Toolbox | None = None
        self._thread: threading.Thread | None = None

    def request(self, toolbox: Toolbox) -> None:
        """Ask for a pass over `toolbox`'s pending precedents soon."""
        with self._lock:
            self._wanted = toolbox
            if self._thread is None:  # the running thread clears this under the lock only when it has ended
                self._thread = threading.Thread(target=self._run, name="precedent-indexer", daemon=True)
                self._thread.start()

    def wait(self, timeout: float | None = None) -> None:
        """Wait for the passes asked so far to finish."""
        with self._lock:
            thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def _run(self) -> None:
        """Index until no pass is wanted, at background priority; a failure is logged and left to the next request
        or sweep."""
        run_in_background()
        while True:
            with self._lock:
                toolbox, self._wanted = self._wanted, None
                if toolbox is None:
                    self._thread = None
                    return
            index_all(toolbox)
