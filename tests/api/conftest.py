"""API fixtures: clients holding a key of a given role, and a real webhook receiver on loopback."""

import hashlib
import hmac
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from cryptography.fernet import Fernet
from fastapi.testclient import TestClient
from pydantic import BaseModel

from api.app import create_app
from tests.conftest import copy_trained
from twin import access
from twin.access import Role
from twin.db import make_engine, session_scope
from twin.settings import Settings

WEBHOOK_KEY = Fernet.generate_key().decode()


def issue_key(url: str, role: Role, name: str | None = None) -> access.IssuedKey:
    """A new key of the role on the database at the URL."""
    engine = make_engine(url)
    with session_scope(engine) as session:
        issued = access.create_key(session, role, name, actor="test")
    engine.dispose()
    return issued


@pytest.fixture
def api_client(seeded_url: str, trained_dir, tmp_path, monkeypatch) -> Iterator[Callable[..., TestClient]]:
    """`api_client(role)`: a started app on this test's seeded database, sending a new key of the role
    named `test-<role>` (no key for None). The webhook loop is off unless YM_WEBHOOK_INTERVAL_S is set again."""
    monkeypatch.setenv("YM_WEBHOOK_INTERVAL_S", "0")
    monkeypatch.setenv("YM_ANSWER_WAIT_S", "120")  # decisions in the answer, however loaded the machine
    monkeypatch.setenv("YM_WEBHOOK_ALLOW_PRIVATE", "1")
    monkeypatch.setenv("YM_WEBHOOK_SECRET_KEY", WEBHOOK_KEY)
    copy_trained(trained_dir, tmp_path)
    with ExitStack() as stack:

        def make(role: Role | None = "admin") -> TestClient:
            """A client of a new app instance, with a key of the role in its headers."""
            headers = {"Authorization": f"Bearer {issue_key(seeded_url, role, f'test-{role}').key}"} if role else {}
            app = create_app(Settings(database_url=seeded_url, data_dir=tmp_path))
            return stack.enter_context(TestClient(app, headers=headers))

        yield make


class Received(BaseModel):
    """One request the receiver saw and what it answered."""

    delivery: str
    event: str
    signature_ok: bool
    body: bytes
    status: int
    at: float = 0.0  # time.monotonic() when it arrived


class Receiver:
    """A webhook receiver answering a scripted list of statuses (then 200) after `delay_s`, checking signatures."""

    def __init__(self, statuses: list[int], delay_s: float = 0.0) -> None:
        self.statuses = list(statuses)
        self.delay_s = delay_s
        self.secret = ""
        self.seen: list[Received] = []
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/yardmaster"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        """A request handler bound to this receiver."""
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            """Records each POST and answers the next scripted status."""

            def do_POST(self) -> None:
                """Record the delivery and answer."""
                raw = self.rfile.read(int(self.headers["Content-Length"]))
                arrived = time.monotonic()
                time.sleep(receiver.delay_s)
                signed = self.headers["X-Yardmaster-Timestamp"].encode() + b"." + raw
                expected = "sha256=" + hmac.new(receiver.secret.encode(), signed, hashlib.sha256).hexdigest()
                with receiver.lock:
                    status = receiver.statuses.pop(0) if receiver.statuses else 200
                    receiver.seen.append(
                        Received(
                            delivery=self.headers["X-Yardmaster-Delivery"],
                            event=self.headers["X-Yardmaster-Event"],
                            signature_ok=hmac.compare_digest(expected, self.headers["X-Yardmaster-Signature"]),
                            body=raw,
                            at=arrived,
                            status=status,
                        )
                    )
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_args) -> None:
                """Keep the test output quiet."""

        return Handler

    def deduped(self) -> dict[str, Received]:
        """The accepted deliveries by delivery id, as a receiver that dedupes would keep them."""
        return {item.delivery: item for item in self.seen if item.status < 300}


@pytest.fixture
def webhook_receiver() -> Iterator[Callable[[list[int]], Receiver]]:
    """`webhook_receiver(statuses)`: a started HTTP receiver on 127.0.0.1 (port chosen by the OS)."""
    receivers: list[Receiver] = []

    def start(statuses: list[int]) -> Receiver:
        """Start a receiver answering these statuses first."""
        receiver = Receiver(statuses)
        threading.Thread(target=receiver.server.serve_forever, daemon=True).start()
        receivers.append(receiver)
        return receiver

    yield start
    for receiver in receivers:
        receiver.server.shutdown()
        receiver.server.server_close()
