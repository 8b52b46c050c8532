"""Tests of the periodic background jobs."""

import asyncio
import threading

from worker.jobs import every


def test_every_runs_the_work_repeatedly_survives_failures_and_stops():
    calls: list[int] = []
    done = threading.Event()

    def work() -> None:
        calls.append(len(calls))
        if len(calls) == 2:
            raise RuntimeError("one bad round")
        if len(calls) >= 4:
            done.set()

    async def scenario() -> int:
        async with every(0.01, work, "test job"):
            for _ in range(500):
                if done.is_set():
                    break
                await asyncio.sleep(0.01)
        stopped_at = len(calls)
        await asyncio.sleep(0.05)
        return stopped_at

    stopped_at = asyncio.run(scenario())
    assert len(calls) >= 4 and len(calls) == stopped_at


def test_an_interval_of_zero_runs_nothing():
    calls: list[int] = []

    async def scenario() -> None:
        async with every(0, lambda: calls.append(1), "off"):
            await asyncio.sleep(0.05)

    asyncio.run(scenario())
    assert calls == []
