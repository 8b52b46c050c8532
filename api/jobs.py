"""Background jobs of the service: the scheduled detector pass."""

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

from graph.desk import Desk

logger = logging.getLogger(__name__)


@asynccontextmanager
async def detection_loop(desk: Desk | None, interval_s: float) -> AsyncIterator[None]:
    """Run the detectors every `interval_s` seconds in a worker thread while the app runs (off at 0 or without a desk)."""
    if desk is None or interval_s <= 0:
        yield
        return

    async def loop() -> None:
        while True:
            await asyncio.sleep(interval_s)
            try:
                handled = await asyncio.to_thread(desk.detect)
                logger.info("detector pass handled %d new exceptions", len(handled))
            except Exception:
                logger.exception("detector pass failed; the next one runs in %s s", interval_s)

    task = asyncio.create_task(loop())
    try:
        yield
    finally:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task
