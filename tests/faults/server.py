"""A real Yardmaster server process on loopback that a test can start, call, and kill -9."""

import os
import subprocess
import sys
from pathlib import Path

from bench.servers import Child, free_port
from twin.access import Role, create_key
from twin.db import make_engine, session_scope

ROOT = Path(__file__).resolve().parents[2]


class Server:
    """`yardmaster serve` in its own process, on a data dir and database of the test's own."""

    def __init__(self, data_dir: Path, database_url: str, **settings: str) -> None:
        self.data_dir, self.database_url = data_dir, database_url
        self.settings = {"YM_DETECT_INTERVAL_S": "0", "YM_WEBHOOK_INTERVAL_S": "0", **settings}
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.child: Child | None = None
        self.log = data_dir / "server.log"

    def env(self, **settings: str) -> dict[str, str]:
        """The environment of a process on this server's database and data dir (with extra `YM_*` settings)."""
        return {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "YM_DATA_DIR": str(self.data_dir),
            "YM_DATABASE_URL": self.database_url,
            **self.settings,
            **settings,
        }

    def start(self, **settings: str) -> "Server":
        """Start the process (with extra `YM_*` settings for this run) and wait until it answers."""
        command = [sys.executable, "-c", "from cli.main import app; app()", "serve", "--port", str(self.port)]
        self.child = Child(command, self.env(**settings), f"{self.url}/healthz", self.log).start(timeout_s=90)
        return self

    @property
    def process(self) -> subprocess.Popen | None:
        """The server's process once started."""
        return self.child.process if self.child else None

    def kill(self) -> None:
        """SIGKILL the process, as a crash or an OOM kill would, and reap it."""
        if self.child:
            self.child.kill()

    def died(self, timeout_s: float = 60) -> int:
        """Wait for the process to end by itself (a fault point killed it); its return code."""
        return self.process.wait(timeout=timeout_s)

    def key(self, role: Role) -> dict[str, str]:
        """Authorization headers of a new key of the role."""
        engine = make_engine(self.database_url)
        with session_scope(engine) as session:
            issued = create_key(session, role, f"faults-{role}", actor="test")
        engine.dispose()
        return {"Authorization": f"Bearer {issued.key}"}
