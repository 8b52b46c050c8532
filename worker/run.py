"""The queue worker: takes decisions, detector passes with outcome checks, and recovery sweeps from the task queue."""

import asyncio
import logging
import signal
import time
from contextlib import suppress

import procrastinate
import psycopg
import psycopg_pool
from procrastinate import JobContext
from procrastinate.exceptions import ConnectorException
from procrastinate.types import JSONValue
from procrastinate.worker import Worker
from pydantic import BaseModel

from agents import detectors
from graph.desk import Desk
from graph.queue import (
    DECIDE,
    DECISIONS_QUEUE,
    DETECT,
    DETECT_PART,
    PERIODIC_QUEUE,
    SWEEP,
    QueueMisconfigured,
    TaskQueue,
)
from graph.records import audit
from twin.db import make_engine, migrate
from twin.settings import Settings
from worker.jobs import detector_pass

logger = logging.getLogger(__name__)
STALLED_AFTER_S = 30  # a job whose worker sent no heartbeat for this long is run again
RETRY_BASE_S = 2  # the n-th retry of a failed job waits RETRY_BASE_S ** n seconds
RECONNECT_FIRST_S, RECONNECT_MAX_S = 1.0, 5.0  # backoff while the database is away (a try is one connection)
TRANSIENT = (ConnectorException, psycopg.OperationalError, psycopg_pool.PoolTimeout, OSError)


def every_seconds_cron(interval_s: float, setting: str) -> str:
    """A cron line (seconds as a sixth column) firing every `interval_s`: a divisor of a minute, hour or day."""
    seconds = int(interval_s)
    if seconds != interval_s or seconds <= 0:
        raise QueueMisconfigured(f"{setting}={interval_s}: a queue runs periodic jobs on whole seconds")
    if seconds < 60 and 60 % seconds == 0:
        return f"* * * * * */{seconds}"
    if seconds % 60 == 0 and seconds < 3600 and 3600 % seconds == 0:
        return f"*/{seconds // 60} * * * * 0"
    if seconds % 3600 == 0 and 86400 % seconds == 0:
        return f"0 */{seconds // 3600} * * * 0"
    raise QueueMisconfigured(f"{setting}={interval_s}: with a queue, choose a divisor of a minute, an hour or a day")


def retry_strategy(tries: int) -> procrastinate.RetryStrategy | bool:
    """Retry a failed job with exponential backoff until it has run `tries` times in all."""
    return procrastinate.RetryStrategy(max_attempts=tries - 1, exponential_wait=RETRY_BASE_S) if tries > 1 else False


def register_tasks(queue: TaskQueue, desk: Desk) -> None:
    """Bind the desk's work to the queue's tasks; the periodic ones follow the detector and sweep intervals."""
    app, settings = queue.app, desk.settings
    tries = settings.decide_max_attempts

    @app.task(name=DECIDE, queue=DECISIONS_QUEUE, retry=retry_strategy(tries), pass_context=True)
    def decide(context: JobContext, exception_id: str) -> str | None:
        """Decide one queued exception; after its last try fails, mark it failed for a person."""
        try:
            decision = desk.decide_queued(exception_id, job=f"job-{context.job.id}")
        except Exception as error:
            if context.job.attempts + 1 >= tries:
                desk.fail_queued(exception_id, error)
            raise
        return decision.status if decision else None

    if settings.detect_interval_s > 0:

        @app.periodic(cron=every_seconds_cron(settings.detect_interval_s, "YM_DETECT_INTERVAL_S"), periodic_id=DETECT)
        @app.task(name=DETECT, queue=PERIODIC_QUEUE, retry=retry_strategy(2))
        def detect(timestamp: int) -> int:
            """One detector pass per period across all workers: queue its parts for the workers, check outcomes."""
            queued = detector_pass(desk)
            with desk.toolbox.session() as session:
                audit(session, "detector.pass", "worker", None, period=timestamp, parts=queued)
                session.commit()
            return queued

    @app.task(name=DETECT_PART, queue=PERIODIC_QUEUE, retry=retry_strategy(2))
    def detect_part(part: dict[str, JSONValue]) -> int:
        """One part of a detector pass: raise (enqueue) its new exceptions; run again, it raises nothing new."""
        chosen = detectors.PART.validate_python(part)
        raised = desk.raise_detected(chosen)
        with desk.toolbox.session() as session:
            audit(session, "detector.part", "worker", None, part=chosen.key, raised=len(raised))
            session.commit()
        return len(raised)

    @app.periodic(cron=every_seconds_cron(settings.sweep_interval_s or 30, "YM_SWEEP_INTERVAL_S"), periodic_id=SWEEP)
    @app.task(name=SWEEP, queue=PERIODIC_QUEUE)
    async def sweep(timestamp: int) -> dict[str, int]:
        """Run again the jobs of workers that died, then the desk's sweep (stranded work, verdicts, expiries)."""
        stalled = await rerun_stalled(app)
        done = await asyncio.to_thread(desk.sweep)
        return {**done, "stalled": stalled}


async def rerun_stalled(app: procrastinate.App) -> int:
    """Run again the jobs left running by workers that stopped (unregistered, or silent for `STALLED_AFTER_S`)."""
    stalled = list(await app.job_manager.get_stalled_jobs(seconds_since_heartbeat=STALLED_AFTER_S))
    for job in stalled:
        logger.warning("running job %s again: its worker stopped", job.call_string)
        await app.job_manager.retry_job(job)
    return len(stalled)


class WorkerConnections(BaseModel):
    """How one worker's PostgreSQL connections are shared among its pools (the queue's listener holds one more)."""

    queue: int
    checkpointer: int
    twin: int


def worker_connections(settings: Settings, concurrency: int) -> WorkerConnections:
    """Split `worker_db_connections`: one for the queue's listener, `concurrency` each for the queue's pool and the
    checkpointer's, the rest for the twin, which needs one per running job and one for the periodic work."""
    twin = settings.worker_db_connections - 1 - 2 * concurrency
    if twin < concurrency + 1:
        raise QueueMisconfigured(
            f"YM_WORKER_DB_CONNECTIONS={settings.worker_db_connections}: a worker running {concurrency} jobs at once "
            f"needs at least {3 * concurrency + 2} connections"
        )
    return WorkerConnections(queue=concurrency, checkpointer=concurrency, twin=twin)


def run_worker(settings: Settings, concurrency: int) -> None:
    """Serve the queue until stopped (SIGINT or SIGTERM finish the running jobs first), through database outages,
    its connection pools sized by `worker_connections`; exit 1 on a fatal error, logged."""
    from graph.desk import open_desk

    sizes = worker_connections(settings, concurrency)
    engine = make_engine(settings.resolved_database_url, sizes.twin, settings.db_pool_timeout_s)
    migrate(engine)
    with open_desk(settings, engine, sizes.checkpointer, sizes.queue) as desk:
        queue = desk.queue
        if queue is None:
            raise RuntimeError("the worker serves the task queue: set YM_QUEUE")
        register_tasks(queue, desk)
        try:
            asyncio.run(_serve(queue.app, queue.dsn, concurrency))
        except Exception as error:
            logger.critical("the worker stops on a fatal error: %s: %s", type(error).__name__, error, exc_info=True)
            raise SystemExit(1) from error


async def _serve(app: procrastinate.App, dsn: str, concurrency: int) -> None:
    """Work until SIGINT or SIGTERM (running jobs finish first). A lost database or listener stops procrastinate's
    worker: once a connection to `dsn` succeeds again (tried with backoff), open the queue again, run at once the jobs
    the stopped worker left running, and go on; any other error is fatal (raised, the process exits 1)."""
    loop = asyncio.get_running_loop()
    stopping = asyncio.Event()
    running: list[asyncio.Task] = []

    def stop() -> None:
        """Ask for a graceful stop (procrastinate finishes the running jobs on cancellation)."""
        stopping.set()
        for task in running:
            task.cancel()

    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop)
    delay = RECONNECT_FIRST_S
    lost: int | None = None  # a stopped worker still registered: it could not unregister without its database
    while not stopping.is_set():
        started = time.monotonic()
        worker = Worker(
            app, queues=[DECISIONS_QUEUE, PERIODIC_QUEUE], concurrency=concurrency, install_signal_handlers=False
        )
        try:
            await _reachable(dsn)
            async with app.open_async():
                if lost is not None:
                    await release_lost(app, lost)
                    lost = None
                running[:] = [asyncio.create_task(worker.run())]
                await running[0]
            reason = "its database connection or listener was lost"
        except asyncio.CancelledError:
            if not stopping.is_set():
                raise
        except TRANSIENT as error:
            reason = f"{type(error).__name__}: {error}"
        lost = worker.worker_id if worker.worker_id is not None else lost
        if stopping.is_set():
            break
        delay = RECONNECT_FIRST_S if time.monotonic() - started > RECONNECT_MAX_S else delay
        logger.warning("the worker stopped (%s); connecting again in %.0f s", reason, delay)
        with suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), delay)
        delay = min(2 * delay, RECONNECT_MAX_S)
    logger.info("the worker stopped on request")


async def _reachable(dsn: str) -> None:
    """Connect once (OperationalError while the database is away): opening the queue's pool instead would wait for
    the pool's own reconnection delays, which grow to many seconds during an outage."""
    connection = await psycopg.AsyncConnection.connect(dsn, connect_timeout=int(RECONNECT_MAX_S))
    await connection.close()


async def release_lost(app: procrastinate.App, worker_id: int) -> int:
    """Unregister a stopped worker of this process and run again the jobs it left running (it stopped only once they
    ended, so none still runs), without waiting for its heartbeat to age; how many."""
    await app.job_manager.unregister_worker(worker_id)
    return await rerun_stalled(app)
