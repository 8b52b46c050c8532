"""A real API server in a child process on a loopback port, for end-to-end and fault tests."""

import os
import subprocess
from pathlib import Path

import httpx

from bench.servers import api_server, free_port
from twin.settings import PROJECT_ROOT


class Server:
    """`yardmaster`'s app under uvicorn in a child process on a loopback port, killed with SIGKILL."""

    def __init__(self, database_url: str, data_dir: Path, **env: str) -> None:
        self.port = free_port()
        self.env = {
            **os.environ,
            "PYTHONPATH": str(PROJECT_ROOT),
            "YM_DATABASE_URL": database_url,
            "YM_DATA_DIR": str(data_dir),
            "YM_WEBHOOK_INTERVAL_S": "0",
            "YM_DETECT_INTERVAL_S": "0",
            "YM_DB_POOL_TIMEOUT_S": "2",
            "YM_ANSWER_WAIT_S": "120",
            **env,
        }
        self.child = api_server(self.env, self.port)
        self.client = httpx.Client(base_url=f"http://127.0.0.1:{self.port}", timeout=120)

    @property
    def process(self) -> subprocess.Popen | None:
        """The server's process once started."""
        return self.child.process

    def start(self) -> "Server":
        """Start and wait until /healthz answers."""
        self.child.start()
        return self

    def kill(self) -> None:
        """SIGKILL the process: no shutdown code runs."""
        self.child.kill()
