"""A Chroma server on a loopback port that a test can stop and start again on the same port and folder."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.faults.server import free_port


class ChromaServer:
    """`chroma run` over a folder, on one loopback port for its whole life."""

    def __init__(self, folder: Path) -> None:
        self.folder, self.port = folder, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def start(self) -> "ChromaServer":
        """Start it and wait until its heartbeat answers."""
        chroma = Path(sys.executable).with_name("chroma")
        command = [str(chroma), "run", "--host", "127.0.0.1", "--port", str(self.port), "--path", str(self.folder)]
        with (self.folder.parent / "chroma.log").open("ab") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{self.url}/api/v2/heartbeat", timeout=1).raise_for_status()
                return self
            except httpx.HTTPError:
                assert self.process.poll() is None and time.monotonic() < deadline, "chroma did not start"
                time.sleep(0.2)

    def stop(self) -> None:
        """Kill it (Chroma is down until `start`)."""
        if self.process and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait()
