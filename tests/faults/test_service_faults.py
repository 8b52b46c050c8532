"""Named fault scenarios against a real server on loopback: nothing acknowledged is lost, nothing is done twice,
and every failure answers a clear status.

- acknowledged_write_survives_kill: kill -9 the moment each write returns; after a restart it is stored.
- database_stopped_and_restarted: while PostgreSQL refuses connections requests get 503 and /readyz says so;
  afterwards everything works and nothing is half-written.
- knowledge_base_missing: the Chroma directory removed under a running server.
- model_missing_or_corrupt: a model artifact corrupted before start.
- llm_down / llm_hanging / llm_garbage: free text still gets a decision from the offline model, in bounded time.
"""

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bench.servers import free_port
from tests.api.conftest import issue_key
from tests.api.live_server import Server
from tests.conftest import POSTGRES_URL, copy_trained

pytestmark = pytest.mark.slow


@pytest.fixture
def served(tmp_path) -> Iterator[callable]:
    """`served(url, data_dir, **env)`: a started server; every one is killed at the end."""
    servers: list[Server] = []

    def start(database_url: str, data_dir: Path = tmp_path, **env: str) -> Server:
        """Start a server on the database."""
        servers.append(Server(database_url, data_dir, **env).start())
        return servers[-1]

    yield start
    for server in servers:
        if server.process.poll() is None:
            server.kill()


SINCE = datetime(2026, 10, 31, tzinfo=UTC)


def _telemetry(tag: str, count: int) -> dict:
    """A batch of telemetry events in the two days before the seed's clock, at seconds past the minute no other tag
    (nor the seed's history) uses."""
    second = 1 + sum(map(ord, tag)) % 58
    return {
        "events": [
            {
                "kind": "telemetry",
                "event_id": f"{tag}-{i}",
                "truck": f"TRK-{1 + i % 40:03d}",
                "at": (SINCE + timedelta(minutes=i % 2880, seconds=second)).isoformat(),
                "engine_temp_c": 90,
                "oil_pressure_kpa": 300,
                "vibration_mm_s": 3,
                "miles_since_service": 100,
            }
            for i in range(count)
        ]
    }


def test_acknowledged_write_survives_kill(served, seeded_url, tmp_path):
    integrator = {"Authorization": f"Bearer {issue_key(seeded_url, 'integrator').key}"}
    architect = {"Authorization": f"Bearer {issue_key(seeded_url, 'architect').key}"}
    writes = {
        "events": lambda c: c.post("/v1/events", json=_telemetry("kill", 2000), headers=integrator),
        "policy": lambda c: c.put(
            "/v1/policies/notify_customer",
            headers=architect,
            json={"autonomy_level": 3, "max_cost_usd": 1234.5, "min_confidence": 0.6},
        ),
        "webhook_create": lambda c: c.post(
            "/v1/webhooks", headers=architect, json={"url": "https://erp.example.com/in", "event_types": ["*"]}
        ),
    }
    created = None
    for name, write in writes.items():
        server = served(seeded_url)
        answer = write(server.client)
        server.kill()
        assert answer.status_code in (200, 201), (name, answer.text)
        created = answer.json()["id"] if name == "webhook_create" else created
    server = served(seeded_url)
    replay = writes["events"](server.client).json()
    assert replay == {"accepted": 0, "duplicates": 2000}
    policy = [
        row
        for row in server.client.get("/v1/policies", headers=architect).json()
        if row["action_type"] == "notify_customer" and row["cohort"] == "*"
    ]
    assert policy[0]["max_cost_usd"] == 1234.5
    assert [hook["id"] for hook in server.client.get("/v1/webhooks", headers=architect).json()] == [created]
    deleted = server.client.delete(f"/v1/webhooks/{created}", headers=architect)
    server.kill()
    assert deleted.status_code == 204
    server = served(seeded_url)
    assert server.client.get("/v1/webhooks", headers=architect).json() == []
    audit = server.client.get("/v1/audit", headers=architect, params={"limit": 500}).json()["items"]
    kinds = [row["kind"] for row in audit]
    assert (kinds.count("events_ingested"), kinds.count("policy_updated")) == (2, 1)
    assert (kinds.count("webhook_created"), kinds.count("webhook_deleted")) == (1, 1)


@pytest.mark.parametrize("backend", [pytest.param("postgres", marks=pytest.mark.postgres)])
def test_database_stopped_and_restarted(served, seeded_url):
    viewer = {"Authorization": f"Bearer {issue_key(seeded_url, 'viewer').key}"}
    integrator = {"Authorization": f"Bearer {issue_key(seeded_url, 'integrator').key}"}
    server = served(seeded_url)
    assert server.client.post("/v1/events", json=_telemetry("before", 10), headers=integrator).json()["accepted"] == 10
    name = make_url(seeded_url).database
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"ALTER DATABASE {name} ALLOW_CONNECTIONS false"))
        connection.execute(
            text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :name"), {"name": name}
        )
    try:
        during = server.client.post("/v1/events", json=_telemetry("during", 10), headers=integrator)
        assert during.status_code == 503 and int(during.headers["Retry-After"]) > 0, during.text
        ready = server.client.get("/readyz")
        assert ready.status_code == 503 and ready.json()["database"].startswith("unavailable")
        assert server.client.get("/v1/twin/summary", headers=viewer).status_code == 503
    finally:
        with admin.connect() as connection:
            connection.execute(text(f"ALTER DATABASE {name} ALLOW_CONNECTIONS true"))
        admin.dispose()
    after = server.client.post("/v1/events", json=_telemetry("during", 10), headers=integrator)
    assert after.json() == {"accepted": 10, "duplicates": 0}, "the refused batch left nothing half-written"
    assert server.client.post("/v1/events", json=_telemetry("before", 10), headers=integrator).json() == {
        "accepted": 0,
        "duplicates": 10,
    }
    assert server.client.get("/v1/twin/summary", headers=viewer).status_code == 200


@pytest.fixture
def trained_data(trained_dir, tmp_path) -> Path:
    """A private data directory with the trained models and the indexed knowledge base."""
    data = tmp_path / "data"
    copy_trained(trained_dir, data)
    return data


LATE = {"type": "late_shipment", "refs": {"shipment_id": "SHP-000010"}}


@pytest.mark.parametrize("backend", ["sqlite"])
def test_knowledge_base_missing(served, seeded_url, trained_data):
    integrator = {"Authorization": f"Bearer {issue_key(seeded_url, 'integrator').key}"}
    server = served(seeded_url, trained_data)
    assert server.client.get("/readyz").status_code == 200
    shutil.rmtree(trained_data / "chroma")
    ready = server.client.get("/readyz")
    assert ready.status_code == 503 and ready.json()["knowledge_base"].startswith("missing")
    first = server.client.post("/v1/exceptions", json=LATE, headers={**integrator, "Idempotency-Key": "kb-1"})
    assert first.status_code in (201, 503), first.text
    again = server.client.post("/v1/exceptions", json=LATE, headers={**integrator, "Idempotency-Key": "kb-1"})
    if first.status_code == 201:
        assert again.status_code == 200 and again.json()["decision_id"] == first.json()["decision_id"]
    listed = server.client.get("/v1/exceptions", headers=integrator).json()
    assert listed["total"] <= 1, "a retry never makes a second exception"


@pytest.mark.parametrize("backend", ["sqlite"])
def test_model_missing_or_corrupt(served, seeded_url, trained_data):
    integrator = {"Authorization": f"Bearer {issue_key(seeded_url, 'integrator').key}"}
    artifacts = sorted(
        path
        for path in (trained_data / "models").rglob("*")
        if path.is_file() and path.suffix in (".json", ".ubj", ".joblib", ".pkl", ".bin")
    )
    for artifact in artifacts:
        artifact.write_bytes(b"\x00corrupt")
    server = served(seeded_url, trained_data)
    ready = server.client.get("/readyz")
    assert ready.status_code == 503 and ready.json()["models"].startswith("cannot be loaded"), ready.text
    refused = server.client.post("/v1/exceptions", json=LATE, headers=integrator)
    assert refused.status_code == 503 and "decisions are off" in refused.json()["detail"]
    assert "Retry-After" in refused.headers
    assert server.client.post("/v1/events", json=_telemetry("model", 3), headers=integrator).status_code == 200
    shutil.rmtree(trained_data / "models")
    assert server.client.get("/readyz").json()["models"].startswith("missing")


class BadEndpoint:
    """An OpenAI-compatible URL that never answers (`hanging`) or answers garbage with status 200."""

    def __init__(self, mode: str) -> None:
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(16)
        self.mode = mode
        self.held: list[socket.socket] = []
        self.url = f"http://127.0.0.1:{self.socket.getsockname()[1]}/v1"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        """Accept connections; hold them open, or answer each with a body that is not JSON."""
        while True:
            try:
                connection, _ = self.socket.accept()
            except OSError:
                return
            if self.mode == "hanging":
                self.held.append(connection)
                continue
            connection.recv(65536)
            connection.sendall(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 9\r\n"
                b"Connection: close\r\n\r\nnot json!"
            )
            connection.close()

    def close(self) -> None:
        """Stop listening and drop held connections."""
        for connection in self.held:
            connection.close()
        self.socket.close()


@pytest.mark.parametrize("backend", ["sqlite"])
@pytest.mark.parametrize("mode", ["down", "hanging", "garbage"])
def test_llm_down_hanging_or_garbage(served, seeded_url, trained_data, mode):
    integrator = {"Authorization": f"Bearer {issue_key(seeded_url, 'integrator').key}"}
    endpoint = None if mode == "down" else BadEndpoint(mode)
    url = endpoint.url if endpoint else f"http://127.0.0.1:{free_port()}/v1"
    server = served(
        seeded_url,
        trained_data,
        YM_LLM="openai",
        YM_LLM_BASE_URL=url,
        YM_LLM_CONNECT_TIMEOUT_S="1",
        YM_LLM_READ_TIMEOUT_S="2",
        YM_LLM_MAX_RETRIES="1",
    )
    try:
        started = time.monotonic()
        free_text = server.client.post(
            "/v1/exceptions",
            headers={**integrator, "Idempotency-Key": f"llm-{mode}"},
            json={"description": "Shipment SHP-000010 is stuck at the Dallas hub"},
        )
        elapsed = time.monotonic() - started
        assert free_text.status_code == 201, free_text.text
        decision = free_text.json()
        assert decision["specialist"] == "routing" and elapsed < 60
        justification = decision["justification"]
        assert justification["fallback_used"] and justification["fallback_reason"].startswith("LLM call failed")
        again = server.client.post(
            "/v1/exceptions",
            headers={**integrator, "Idempotency-Key": f"llm-{mode}"},
            json={"description": "Shipment SHP-000010 is stuck at the Dallas hub"},
        )
        assert again.status_code == 200 and again.json()["decision_id"] == decision["decision_id"]
    finally:
        if endpoint:
            endpoint.close()
    assert server.client.get("/v1/exceptions", headers=integrator).json()["total"] == 1
