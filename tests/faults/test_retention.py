"""Bounded state on a real server: a chat thread has a turn cap and keeps only its latest checkpoint; the sweep
prunes the checkpoint history of concluded decisions past the retention."""

import sqlite3
import time

import httpx
import pytest
from sqlalchemy import text

from tests.api.desk_api import CAPACITY_LOSS
from twin import models as m
from twin.db import make_engine, session_scope

pytestmark = pytest.mark.slow
TURNS = 12


def checkpoints(server, thread_prefix: str) -> int:
    """How many checkpoints the threads starting with the prefix hold (in the SQLite file or PostgreSQL)."""
    query = "SELECT count(*) FROM checkpoints WHERE thread_id LIKE :prefix"
    if server.database_url.startswith("sqlite"):
        with sqlite3.connect(server.data_dir / "checkpoints.db") as connection:
            return connection.execute(query.replace(":prefix", "?"), (f"{thread_prefix}%",)).fetchone()[0]
    engine = make_engine(server.database_url)
    with engine.connect() as connection:
        count = connection.execute(text(query), {"prefix": f"{thread_prefix}%"}).scalar_one()
    engine.dispose()
    return count


def turn(server, headers: dict, thread_id: str) -> tuple[str, str]:
    """One chat turn on the thread: its last event's name and data."""
    with httpx.stream(
        "POST",
        f"{server.url}/v1/chat",
        json={"message": "pending decisions", "thread_id": thread_id},
        headers=headers,
        timeout=120,
    ) as answer:
        lines = [line for line in answer.iter_lines() if line.startswith(("event:", "data:"))]
    return lines[-2].removeprefix("event:").strip(), lines[-1].removeprefix("data:").strip()


def test_chat_threads_are_capped_and_pruned_and_the_sweep_prunes_concluded_decisions(server, seeded_url):
    server.start(YM_CHAT_MAX_TURNS=str(TURNS), YM_CHECKPOINT_RETENTION_H="0")
    viewer, integrator = server.key("viewer"), server.key("integrator")
    for number in range(TURNS):
        assert turn(server, viewer, "capped")[0] == "final"
        assert checkpoints(server, "chat:") == 1, f"turn {number + 1} left older checkpoints"
    event, data = turn(server, viewer, "capped")
    assert event == "error" and f"limit of {TURNS} turns" in data
    assert turn(server, viewer, "fresh")[0] == "final"
    decided = httpx.post(f"{server.url}/v1/exceptions", json=CAPACITY_LOSS, headers=integrator, timeout=120).json()
    assert decided["status"] == "executed", decided
    engine = make_engine(seeded_url)
    deadline = time.monotonic() + 60
    while True:
        with session_scope(engine) as session:
            pruned = session.get(m.DecisionRecord, decided["decision_id"]).checkpoints_pruned
        if pruned or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    engine.dispose()
    assert pruned, "the sweep did not prune the concluded decision"
    assert checkpoints(server, decided["exception_id"]) == 1
