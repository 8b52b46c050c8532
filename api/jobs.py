"""Background jobs of the service: periodic work in a worker thread, such as the scheduled detector pass."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager, suppress
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from graph.desk import Desk

logger = logging.getLogger(__name__)


@asynccontextmanager
async def every(interval_s: float, work: Callable[[], object], label: str) -> AsyncIterator[None]:
    """Run `work` off the event loop every `interval_s` seconds while the context is open (off at 0)."""
    if interval_s <= 0:
        yield
        return

    async def loop() -> None:
        while True:
            await asyncio.sleep(interval_s)
            try:
                await asyncio.to_thread(work)
            except Exception:
                logger.exception("%s failed; the next run is in %s s", label, interval_s)

    task = asyncio.create_task(loop())
    try:
        yield
    finally:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task


def detector_pass(desk: Desk) -> None:
    """Raise and handle new exceptions, then check the outcomes of executed decisions."""
    from agents.outcomes import record_outcomes

    desk.detect()
    record_outcomes(desk.toolbox)


def detection_loop(desk: Desk | None, interval_s: float) -> AbstractAsyncContextManager[None]:
    """The scheduled detector pass with its outcome check (off without a desk, i.e. before models are trained)."""
    return every(interval_s if desk else 0, lambda: detector_pass(desk), "detector pass")
