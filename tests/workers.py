"""The suite on several workers (pytest-xdist, `--dist loadfile`): each test file runs whole on one worker, the
tests marked `serial` run last and alone, and what the workers share is built once under a file lock."""

import fcntl
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import IO

import pytest

SERIAL = "serial"
TURNS = pytest.StashKey["Turns"]()


def is_serial(item: pytest.Item) -> bool:
    """Whether the test must run with no other test running."""
    return item.get_closest_marker(SERIAL) is not None


def run_dir(config: pytest.Config) -> Path | None:
    """The folder every worker of this run sees (the run's temporary folder); None when the run has no workers."""
    return Path(config.option.basetemp).parent if hasattr(config, "workerinput") else None


@contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on the file across processes."""
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def last_to_finish(config: pytest.Config) -> bool:
    """Count this worker as finished; whether it is the run's last."""
    folder = run_dir(config)
    assert folder is not None
    counter = folder / "finished"
    with locked(folder / "finished.lock"):
        done = (int(counter.read_text()) if counter.exists() else 0) + 1
        counter.write_text(str(done))
    return done == config.workerinput["workercount"]  # type: ignore[attr-defined]


def order(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On a worker: the files without the trained models first (the models train in the background meanwhile), the
    files with slow tests first within each part (so that no long file starts last), the files with serial tests
    at the end; each file's tests in their order (the run keeps it with `--no-loadscope-reorder`)."""
    if run_dir(config) is None:
        return
    serial = {item.path for item in items if is_serial(item)}
    models = {item.path for item in items if item.get_closest_marker("models")}
    slow = {item.path for item in items if item.get_closest_marker("slow")}
    items.sort(key=lambda item: (item.path in serial, item.path in models, item.path not in slow))


class Turns:
    """Whose turn it is among the workers: any number of ordinary tests at once, or one serial test alone. A worker
    about to run serial tests closes the gate, so that no new test starts, and waits for the running ones to end."""

    def __init__(self, folder: Path) -> None:
        self.gate = folder / "serial-gate.lock"
        self.running = folder / "serial-running.lock"
        self.held: IO[str] | None = None
        self.closed: IO[str] | None = None

    def start(self, serial: bool) -> None:
        """Wait for this test's turn: alone for a serial test (kept across consecutive ones), shared otherwise."""
        if self.closed:
            return
        gate = self.gate.open("a")
        fcntl.flock(gate, fcntl.LOCK_EX)
        self.held = self.running.open("a")
        fcntl.flock(self.held, fcntl.LOCK_EX if serial else fcntl.LOCK_SH)
        if serial:
            self.closed = gate
        else:
            gate.close()

    def end(self, keep: bool) -> None:
        """This test has ended; a serial turn is kept when the next test is serial too."""
        if keep or not self.held:
            return
        self.held.close()
        self.held = None
        if self.closed:
            self.closed.close()
            self.closed = None


def turn(item: pytest.Item, nextitem: pytest.Item | None) -> AbstractContextManager[None]:
    """Run one test in its turn (only when the run has workers)."""
    folder = run_dir(item.config)
    if folder is None:
        return nullcontext()
    if TURNS not in item.config.stash:
        item.config.stash[TURNS] = Turns(folder)
    return _in_turn(item.config.stash[TURNS], is_serial(item), nextitem is not None and is_serial(nextitem))


@contextmanager
def _in_turn(turns: Turns, serial: bool, next_serial: bool) -> Iterator[None]:
    """Hold the turn while the test runs."""
    turns.start(serial)
    try:
        yield
    finally:
        turns.end(keep=serial and next_serial)
