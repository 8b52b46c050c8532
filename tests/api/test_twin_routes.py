"""Tests of the twin summary and event ingestion through the HTTP API."""

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from tests.api.desk_api import quality_counts
from twin.settings import Settings

SCAN = {
    "kind": "shipment_scan",
    "event_id": "api-1",
    "shipment_id": "SHP-000010",
    "scan": "delay",
    "location": "hub",
    "at": "2026-11-02T09:00:00+00:00",
    "delay_minutes": 30,
}


@pytest.fixture
def client(api_client) -> TestClient:
    """A client of the app on a private seeded database, holding an integrator key."""
    return api_client("integrator")


def test_health_and_summary(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").status_code == 200
    summary = client.get("/v1/twin/summary").json()
    assert (summary["dcs"], summary["skus"], summary["carriers"], summary["trucks"]) == (5, 60, 6, 40)
    assert summary["shipments"] > 9000 and summary["history_days"] == 365


def test_readyz_reports_an_unseeded_database(empty_url, tmp_path):
    with TestClient(create_app(Settings(database_url=empty_url, data_dir=tmp_path))) as client:
        response = client.get("/readyz")
    assert response.status_code == 503 and response.json()["seeded"] is False


def test_events_replay_is_idempotent(client):
    first = client.post("/v1/events", json={"events": [SCAN]})
    assert first.status_code == 200 and first.json() == {"accepted": 1, "duplicates": 0}
    assert client.post("/v1/events", json={"events": [SCAN]}).json() == {"accepted": 0, "duplicates": 1}


def test_malformed_record_returns_422_naming_record_and_field_and_stores_nothing(client):
    good = {**SCAN, "event_id": "api-2"}
    bad = {**SCAN, "event_id": "api-3", "delay_minutes": -5}
    response = client.post("/v1/events", json={"events": [good, bad]})
    assert response.status_code == 422
    detail = response.json()["detail"][0]
    assert detail["loc"][:3] == ["body", "events", 1] and detail["loc"][-1] == "delay_minutes"
    unknown = client.post(
        "/v1/events", json={"events": [good, {**SCAN, "event_id": "api-4", "shipment_id": "SHP-999999"}]}
    )
    assert unknown.status_code == 422
    assert unknown.json()["detail"][0]["loc"] == ["body", "events", 1, "shipment_id"]
    assert "SHP-999999" in unknown.json()["detail"][0]["msg"]
    assert client.post("/v1/events", json={"events": [good]}).json() == {"accepted": 1, "duplicates": 0}


def test_the_quality_gate_names_the_field_of_each_refused_record_and_counts_it_by_reason(client):
    cases = {
        "schema": ({**SCAN, "event_id": "q-1", "scan": "teleport"}, "scan"),
        "range": ({**SCAN, "event_id": "q-2", "delay_minutes": -5}, "delay_minutes"),
        "null": ({**SCAN, "event_id": "q-3", "shipment_id": None}, "shipment_id"),
        "late": ({**SCAN, "event_id": "q-4", "at": "2026-10-01T09:00:00+00:00"}, "at"),
        "reference": ({**SCAN, "event_id": "q-5", "shipment_id": "SHP-999999"}, "shipment_id"),
    }
    for reason, (record, field) in cases.items():
        response = client.post("/v1/events", json={"events": [{**SCAN, "event_id": f"ok-{reason}"}, record]})
        assert response.status_code == 422, reason
        [problem] = response.json()["detail"]
        assert problem["loc"][:3] == ["body", "events", 1] and problem["loc"][-1] == field, reason
    client.post("/v1/events", json={"events": [SCAN]})
    assert client.post("/v1/events", json={"events": [SCAN]}).json() == {"accepted": 0, "duplicates": 1}
    assert quality_counts(client, "events") == {
        "schema": 1.0,
        "range": 1.0,
        "null": 1.0,
        "late": 1.0,
        "reference": 1.0,
        "duplicate": 1.0,
    }
