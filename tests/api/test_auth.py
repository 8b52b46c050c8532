"""API keys at the HTTP boundary: 401 without a valid key, 403 for the wrong role, revocation, hashing."""

from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlmodel import Session, SQLModel
from typer.testing import CliRunner

from api.app import create_app
from cli.main import app as cli
from tests.api.conftest import issue_key
from twin.access import ApiKey
from twin.db import make_engine
from twin.models import AuditEvent
from twin.settings import Settings

TELEMETRY = {
    "events": [
        {
            "kind": "telemetry",
            "event_id": "tel-auth-1",
            "truck": "TRK-001",
            "at": "2030-01-02T08:00:00Z",
            "engine_temp_c": 91.0,
            "oil_pressure_kpa": 300.0,
            "vibration_mm_s": 2.5,
            "miles_since_service": 1200.0,
        }
    ]
}


def test_no_key_is_401_and_health_stays_open(api_client):
    client = api_client(None)
    response = client.get("/v1/twin/summary")
    assert response.status_code == 401
    assert "Authorization: Bearer" in response.json()["detail"]
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert client.post("/v1/events", json=TELEMETRY).status_code == 401
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200


def test_bad_keys_are_401(api_client):
    client = api_client("viewer")
    good = client.headers["Authorization"].removeprefix("Bearer ")
    key_id = good.split("_")[1]
    for bad in ("nonsense", "ym_deadbeef_" + "x" * 43, f"ym_{key_id}_" + "x" * 43, good[:-1], f"ym_{key_id}_"):
        response = client.get("/v1/twin/summary", headers={"Authorization": f"Bearer {bad}"})
        assert response.status_code == 401, bad
        assert response.json()["detail"] == "invalid or revoked API key"
    assert client.get("/v1/twin/summary", headers={"Authorization": f"Basic {good}"}).status_code == 401
    assert client.get("/v1/twin/summary").json()["dcs"] == 5


def test_wrong_role_is_403_naming_the_role(api_client):
    viewer, planner = api_client("viewer"), api_client("planner")
    response = viewer.post("/v1/events", json=TELEMETRY)
    assert response.status_code == 403
    assert "integrator" in response.json()["detail"] and "test-viewer" in response.json()["detail"]
    response = planner.post("/v1/webhooks", json={"url": "http://127.0.0.1:9/x", "event_types": ["*"]})
    assert response.status_code == 403 and "architect" in response.json()["detail"]


def test_roles_that_may_write_events_and_the_actor_is_audited(api_client, seeded_url):
    integrator, admin = api_client("integrator"), api_client("admin")
    assert integrator.post("/v1/events", json=TELEMETRY).json() == {"accepted": 1, "duplicates": 0}
    assert admin.post("/v1/events", json=TELEMETRY).json() == {"accepted": 0, "duplicates": 1}
    engine = make_engine(seeded_url)
    with Session(engine) as session:
        rows = session.execute(
            select(AuditEvent.actor, AuditEvent.detail)
            .where(AuditEvent.kind == "events_ingested")
            .order_by(AuditEvent.id)
        ).all()
    engine.dispose()
    assert [tuple(row) for row in rows] == [
        ("test-integrator", {"accepted": 1, "duplicates": 0}),
        ("test-admin", {"accepted": 0, "duplicates": 1}),
    ]


def test_revoked_key_is_refused(api_client, seeded_url, monkeypatch):
    client = api_client("viewer")
    assert client.get("/v1/twin/summary").status_code == 200
    key_id = client.headers["Authorization"].split("_")[1]
    monkeypatch.setenv("YM_DATABASE_URL", seeded_url)
    result = CliRunner().invoke(cli, ["keys", "revoke", key_id])
    assert result.exit_code == 0, result.output
    response = client.get("/v1/twin/summary")
    assert response.status_code == 401 and response.json()["detail"] == "invalid or revoked API key"


def test_only_the_hash_of_a_key_is_stored(empty_url):
    issued = issue_key(empty_url, "admin", "ops")
    secret = issued.key.split("_", 2)[2]
    with TestClient(
        create_app(Settings(database_url=empty_url)), headers={"Authorization": f"Bearer {issued.key}"}
    ) as client:
        assert client.get("/v1/twin/summary").status_code == 200
    engine = make_engine(empty_url)
    with Session(engine) as session:
        dump = repr([session.execute(select(table)).all() for table in SQLModel.metadata.sorted_tables])
        stored = session.get(ApiKey, issued.id)
    engine.dispose()
    assert stored.key_hash in dump and stored.name == "ops"
    assert issued.key not in dump and secret not in dump
    if empty_url.startswith("sqlite:///"):
        files = Path(empty_url.removeprefix("sqlite:///")).parent.glob(Path(empty_url).name + "*")
        assert not any(secret.encode() in path.read_bytes() for path in files)
