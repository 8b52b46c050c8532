"""A real API server in a child process on a loopback port, for end-to-end and fault tests."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

PROJECT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """`yardmaster`'s app under uvicorn in a child process on a loopback port, killed with SIGKILL."""

    def __init__(self, database_url: str, data_dir: Path, **env: str) -> None:
        self.port = free_port()
        self.env = {
            **os.environ,
            "PYTHONPATH": str(PROJECT),
            "YM_DATABASE_URL": database_url,
            "YM_DATA_DIR": str(data_dir),
            "YM_WEBHOOK_INTERVAL_S": "0",
            "YM_DETECT_INTERVAL_S": "0",
            "YM_DB_POOL_TIMEOUT_S": "2",
            "YM_ANSWER_WAIT_S": "120",
            **env,
        }
        self.process: subprocess.Popen | None = None
        self.client = httpx.Client(base_url=f"http://127.0.0.1:{self.port}", timeout=120)

    def start(self) -> "Server":
        """Start and wait until /healthz answers."""
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "--factory",
                "api.app:create_app",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--log-level",
                "warning",
            ],
            cwd=PROJECT,
            env=self.env,
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                self.client.get("/healthz", timeout=1)
                return self
            except httpx.TransportError:
                assert self.process.poll() is None, "the server exited while starting"
                time.sleep(0.2)
        raise AssertionError("the server did not start in 120 s")

    def kill(self) -> None:
        """SIGKILL the process: no shutdown code runs."""
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait()
