"""Servers in child processes on loopback ports, for benchmarks and tests: the API under uvicorn and a Chroma server.
Each runs in a session of its own, is waited for until a URL answers 200, and is stopped by its process group."""

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path

import httpx

from twin.settings import PROJECT_ROOT

LOOPBACK = "127.0.0.1"


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        return probe.getsockname()[1]


class Child:
    """A command in a child process of its own session, with its output in a log file (or on stderr)."""

    def __init__(self, command: list[str], env: dict[str, str], ready_url: str | None, log: Path | None = None) -> None:
        self.command, self.env, self.ready_url, self.log = command, env, ready_url, log
        self.process: subprocess.Popen | None = None

    def start(self, timeout_s: float = 120) -> "Child":
        """Start the process and wait until its URL answers 200 (at once without one); fail when it exits first or
        the time is up."""
        with self.log.open("ab") if self.log else nullcontext(sys.stderr) as out:
            self.process = subprocess.Popen(
                self.command,
                env=self.env,
                cwd=PROJECT_ROOT,
                start_new_session=True,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout_s
        while self.ready_url is not None:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.command[0]} exited with code {self.process.returncode}{self._log_tail()}")
            try:
                if httpx.get(self.ready_url, timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                self.kill()
                raise RuntimeError(f"{self.ready_url} did not answer within {timeout_s:.0f} s{self._log_tail()}")
            time.sleep(0.2)
        return self

    def _log_tail(self) -> str:
        """The end of the log, to show why a start failed."""
        return f": {self.log.read_text(errors='replace')[-2000:]}" if self.log and self.log.exists() else ""

    def stop(self, grace_s: float = 20) -> None:
        """SIGTERM the process group (a worker finishes its running job first), then SIGKILL if it lingers."""
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            self.kill()

    def kill(self) -> None:
        """SIGKILL the process group, as a crash or an OOM kill would (no shutdown code runs), and reap it."""
        if self.process is None:
            return
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()


@contextmanager
def running(child: Child) -> Iterator[Child]:
    """The child started and ready, stopped when the block ends."""
    child.start()
    try:
        yield child
    finally:
        child.stop()


def api_server(env: dict[str, str], port: int, workers: int = 1, ready_path: str = "/healthz") -> Child:
    """The API (`api.app:create_app`) under uvicorn with `workers` processes on a loopback port, ready once
    `ready_path` answers 200."""
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        "api.app:create_app",
        "--host",
        LOOPBACK,
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--log-level",
        "warning",
    ]
    return Child(command, env, f"http://{LOOPBACK}:{port}{ready_path}")


def chroma_server(path: Path, port: int, log: Path | None = None) -> Child:
    """`chroma run` over a folder on a loopback port, ready once its heartbeat answers."""
    chroma = Path(sys.executable).with_name("chroma")
    command = [str(chroma), "run", "--path", str(path), "--host", LOOPBACK, "--port", str(port)]
    return Child(command, dict(os.environ), f"http://{LOOPBACK}:{port}/api/v2/heartbeat", log)
