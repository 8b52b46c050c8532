"""A Chroma server on a loopback port that a test can stop and start again on the same port and folder."""

from pathlib import Path

from bench.servers import chroma_server, free_port


class ChromaServer:
    """`chroma run` over a folder, on one loopback port for its whole life."""

    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.child = chroma_server(folder, self.port, folder.parent / "chroma.log")

    def start(self) -> "ChromaServer":
        """Start it and wait until its heartbeat answers."""
        self.child.start(timeout_s=60)
        return self

    def stop(self) -> None:
        """Kill it (Chroma is down until `start`)."""
        self.child.kill()
