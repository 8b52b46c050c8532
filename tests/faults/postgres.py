"""A PostgreSQL cluster of a test's own (initdb as the `postgres` user, loopback only), which the test may restart
and stop; it is stopped by its data directory's PID at the end."""

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from bench.servers import free_port

PG_BIN = Path("/usr/lib/postgresql/15/bin")


class Cluster:
    """One private PostgreSQL server on a loopback port."""

    def __init__(self) -> None:
        if os.geteuid() != 0 or not (PG_BIN / "pg_ctl").exists() or shutil.which("runuser") is None:
            pytest.skip("a private PostgreSQL cluster needs root, runuser and PostgreSQL 15's server tools")
        folder = Path(tempfile.mkdtemp(prefix="ym-test-pg-", dir="/tmp"))  # the postgres user must reach it
        self.folder, self.port = folder, free_port()
        shutil.chown(folder, "postgres")
        self._as_postgres("initdb", "-D", str(folder / "data"), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _as_postgres(self, tool: str, *args: str) -> None:
        """Run a server tool as the `postgres` user."""
        subprocess.run(["runuser", "-u", "postgres", "--", str(PG_BIN / tool), *args], check=True, capture_output=True)

    def _ctl(self, *args: str) -> None:
        """pg_ctl on this cluster."""
        options = f"-c listen_addresses=127.0.0.1 -c max_connections=100 -p {self.port} -k {self.folder}"
        self._as_postgres(
            "pg_ctl", "-D", str(self.folder / "data"), "-o", options, "-l", str(self.folder / "log"), *args
        )

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        self._ctl("-w", "start")

    def restart(self) -> None:
        """`pg_ctl restart -m fast`: every connection is cut."""
        self._ctl("-w", "-m", "fast", "restart")

    def stop(self) -> None:
        """`pg_ctl stop -m fast`."""
        self._ctl("-w", "-m", "fast", "stop")

    def remove(self) -> None:
        """Stop the server if it runs and delete its folder."""
        if self.pid():
            self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)

    def pid(self) -> int | None:
        """The postmaster's PID while it runs."""
        marker = self.folder / "data" / "postmaster.pid"
        return int(marker.read_text().split()[0]) if marker.exists() else None
