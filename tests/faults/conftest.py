"""Fault-injection fixtures: a real server process on a private seeded database (SQLite and PostgreSQL)."""

from collections.abc import Callable, Iterator

import pytest

from tests.conftest import copy_trained
from tests.faults.server import Server

FAST_RECOVERY = {
    "YM_CLAIM_LEASE_S": "2",
    "YM_SWEEP_INTERVAL_S": "1",
    "YM_DECISION_WAIT_S": "20",
    "YM_ANSWER_WAIT_S": "120",  # these scenarios read the decision from the answer, however loaded the machine
}


@pytest.fixture
def server(seeded_url, trained_dir, tmp_path) -> Iterator[Server]:
    """A server (not started) on this test's seeded database, with short leases so recovery shows within seconds."""
    copy_trained(trained_dir, tmp_path)
    process = Server(tmp_path, seeded_url, **FAST_RECOVERY)
    yield process
    process.kill()


@pytest.fixture
def crash_at(server: Server) -> Callable[[str], Server]:
    """`crash_at(point)`: start the server so that it kills itself (SIGKILL) on reaching that fault point."""

    def start(point: str) -> Server:
        return server.start(YM_FAULT_KILL_AT=point)

    return start
