"""Background jobs of the service: periodic work in a worker thread at background priority (the detector pass, the
recovery sweep)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractAsyncContextManager, asynccontextmanager, suppress
from typing import TYPE_CHECKING

from twin.threads import run_in_background

if TYPE_CHECKING:
    from graph.desk import Desk

logger = logging.getLogger(__name__)


@asynccontextmanager
async def every(
    interval_s: float, work: Callable[[], object], label: str, at_start: bool = False
) -> AsyncIterator[None]:
    """Run `work` off the event loop, on a thread of its own at background priority, every `interval_s` seconds
    while the context is open (off at 0), and once at once when `at_start` (even at 0)."""
    if interval_s <= 0 and not at_start:
        yield
        return
    thread = ThreadPoolExecutor(1, thread_name_prefix=label.replace(" ", "-"), initializer=run_in_background)

    async def loop() -> None:
        wait = 0.0 if at_start else interval_s
        while wait >= 0:
            await asyncio.sleep(wait)
            try:
                await asyncio.get_running_loop().run_in_executor(thread, work)
            except Exception:
                logger.exception("%s failed; the next run is in %s s", label, interval_s)
            wait = interval_s if interval_s > 0 else -1

    task = asyncio.create_task(loop())
    try:
        yield
    finally:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task
        # a run already started finishes before the desk and the database it uses close under it
        await asyncio.to_thread(thread.shutdown, wait=True)


def detector_pass(desk: Desk) -> int:
    """Raise and handle new exceptions, then check the outcomes of executed decisions; how many were raised. With a
    queue the pass is only cut into parts, each queued as a job for the workers to share: how many were queued."""
    from agents.outcomes import record_outcomes

    count = queue_detection(desk) if desk.queue else len(desk.detect())
    record_outcomes(desk.toolbox)
    return count


def queue_detection(desk: Desk) -> int:
    """Queue one job per part of the detector pass (none for a part whose job still waits); how many were queued."""
    from agents import detectors

    queue = desk.queue
    if queue is None:
        raise RuntimeError("the detector pass is queued in parts only with a task queue")
    with desk.toolbox.session() as session:
        parts = detectors.parts(session)
        queued = [queue.defer_detect_part(session, part.key, part.model_dump()) for part in parts]
        session.commit()
    return sum(job is not None for job in queued)


def detection_loop(desk: Desk | None, interval_s: float) -> AbstractAsyncContextManager[None]:
    """The scheduled detector pass with its outcome check (off without a desk, i.e. before models are trained)."""
    if desk is None:
        return every(0, lambda: 0, "detector pass")
    return every(interval_s, lambda: detector_pass(desk), "detector pass")


def recovery_loop(
    desk: Desk | None, interval_s: float, count: Callable[[dict[str, int]], object]
) -> AbstractAsyncContextManager[None]:
    """The sweep that decides exceptions left by a dead process, finishes interrupted verdicts and expires overdue
    decisions: at start-up, then every `interval_s` (off without a desk); what it did is passed to `count`."""
    if desk is None:
        return every(0, lambda: None, "recovery sweep")
    return every(interval_s, lambda: count(desk.sweep()), "recovery sweep", at_start=True)
