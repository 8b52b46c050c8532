"""The task queue (Procrastinate on the twin's PostgreSQL): jobs deferred inside the caller's transaction."""

from collections.abc import Mapping

import procrastinate
from procrastinate import exceptions, jobs
from procrastinate.manager import JobManager
from procrastinate.types import JSONValue
from sqlalchemy import text
from sqlmodel import Session

from graph.checkpoint import postgres_dsn
from twin.settings import Settings

DECIDE = "decide"
INDEX_PRECEDENTS = "index_precedents"
DETECT = "detect"
DETECT_PART = "detect_part"
SWEEP = "sweep"
DECISIONS_QUEUE = "decisions"
PERIODIC_QUEUE = "periodic"
SUBJECT_KEYS = (("shipment_id",), ("sku", "location"), ("asset_id",), ("carrier",))


class QueueMisconfigured(ValueError):
    """Queue mode is configured in a way it cannot run: not on PostgreSQL, or a period it cannot keep."""


def subject_lock(refs: Mapping[str, str]) -> str | None:
    """The lock that serialises work on one subject: a shipment, a SKU at a DC, a truck or a carrier."""
    for keys in SUBJECT_KEYS:
        if all(refs.get(key) for key in keys):
            return "@".join(refs[key] for key in keys)
    return None


class TaskQueue:
    """A Procrastinate app on the configured PostgreSQL database."""

    def __init__(self, settings: Settings, max_connections: int | None = None) -> None:
        """The queue on the settings' database; its pool (besides the worker's listener) keeps one connection, opens
        up to `max_connections` and waits `db_pool_timeout_s` for a free one (unset: Procrastinate's default pool)."""
        url = settings.resolved_database_url
        if not url.startswith("postgresql"):
            raise QueueMisconfigured(
                f"YM_QUEUE={settings.queue} needs a PostgreSQL YM_DATABASE_URL "
                f"(e.g. postgresql+psycopg://user:pass@host:5432/yardmaster), not {url.split(':', 1)[0]}"
            )
        self.settings = settings
        self.dsn = postgres_dsn(url)
        connector = (
            procrastinate.PsycopgConnector(conninfo=self.dsn)
            if max_connections is None
            else procrastinate.PsycopgConnector(
                conninfo=self.dsn, min_size=1, max_size=max_connections, timeout=settings.db_pool_timeout_s
            )
        )
        self.app = procrastinate.App(connector=connector)
        self._in_transaction = JobManager(procrastinate.SyncPsycopgConnector())  # only ever given a connection

    def defer(
        self,
        session: Session,
        task_name: str,
        queue: str,
        lock: str | None = None,
        queueing_lock: str | None = None,
        **task_kwargs: JSONValue,
    ) -> int | None:
        """Enqueue a job in the session's transaction (it exists once the caller commits); None when a job with the
        same queueing lock is already waiting."""
        job = jobs.Job(
            queue=queue, lock=lock, queueing_lock=queueing_lock, task_name=task_name, task_kwargs=dict(task_kwargs)
        )
        connection = session.connection().connection.driver_connection
        if connection is None:
            raise RuntimeError("the session's database connection is closed")
        try:
            with connection.transaction():  # a savepoint: a refused job leaves the caller's transaction usable
                return self._in_transaction.defer_job(job, connection=connection).id
        except exceptions.AlreadyEnqueued:
            return None

    def defer_decision(self, session: Session, exception_id: str, refs: Mapping[str, str]) -> int | None:
        """Enqueue the decision of a stored exception, serialised with other work on its subject."""
        return self.defer(
            session,
            DECIDE,
            DECISIONS_QUEUE,
            lock=subject_lock(refs),
            queueing_lock=f"decide:{exception_id}",
            exception_id=exception_id,
        )

    def decision_queued(self, session: Session, exception_id: str) -> bool:
        """Whether a decide job of the exception waits or runs (a failed try's retry included)."""
        return (
            session.connection()
            .execute(
                text(
                    "SELECT 1 FROM procrastinate_jobs WHERE queueing_lock = :lock "
                    "AND status IN ('todo', 'doing') LIMIT 1"
                ),
                {"lock": f"decide:{exception_id}"},
            )
            .first()
            is not None
        )

    def defer_detect_part(self, session: Session, key: str, part: dict[str, JSONValue]) -> int | None:
        """Enqueue one part of the detector pass (none while the same part's job still waits)."""
        return self.defer(session, DETECT_PART, PERIODIC_QUEUE, queueing_lock=f"detect:{key}", part=part)

    def defer_indexing(self, session: Session) -> int | None:
        """Enqueue one precedent indexing run (none is added while one is already waiting)."""
        return self.defer(session, INDEX_PRECEDENTS, DECISIONS_QUEUE, queueing_lock=INDEX_PRECEDENTS)
