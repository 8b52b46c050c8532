"""Bad input gets a 4xx naming the field, never a 5xx, and nothing is stored; bodies above the limit get 413."""

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.validation import excerpt
from twin.settings import Settings

SCAN = {
    "kind": "shipment_scan",
    "event_id": "val-1",
    "shipment_id": "SHP-000010",
    "scan": "delay",
    "location": "hub",
    "at": "2026-11-02T09:00:00+00:00",
    "delay_minutes": 30,
}


def _loc(response) -> list:
    """The location of the first error of a 422."""
    assert response.status_code == 422, response.text
    return response.json()["detail"][0]["loc"]


def test_nul_bytes_nan_huge_numbers_and_empty_ids_are_422(api_client):
    admin = api_client("admin")
    assert _loc(admin.post("/v1/events", json={"events": [{**SCAN, "event_id": "a\x00b"}]})) == [
        "body",
        "events",
        0,
        "event_id",
    ]
    assert _loc(admin.post("/v1/exceptions", json={"description": "late \x00 truck"})) == ["body", "description"]
    assert _loc(admin.put("/v1/policies/book_spot", params={"cohort": "DC\x00"}, json={"autonomy_level": 2})) == [
        "query",
        "cohort",
    ]
    nan = (
        b'{"events": [{"kind": "telemetry", "event_id": "n1", "truck": "TRK-001", "at": "2026-11-02T08:00:00Z",'
        b' "engine_temp_c": NaN, "oil_pressure_kpa": 1, "vibration_mm_s": 1, "miles_since_service": 1}]}'
    )
    rejected = admin.post("/v1/events", content=nan, headers={"Content-Type": "application/json"})
    assert _loc(rejected) == ["body", "events", 0, "engine_temp_c"] and rejected.json()["detail"][0]["input"] == "nan"
    huge = admin.put(
        "/v1/policies/book_spot",
        content=b'{"autonomy_level": 3, "max_cost_usd": 1e400}',
        headers={"Content-Type": "application/json"},
    )
    assert _loc(huge) == ["body", "max_cost_usd"]
    assert _loc(admin.get("/v1/exceptions", params={"offset": 2**64})) == ["query", "offset"]
    assert _loc(admin.get("/v1/decisions", params={"offset": 2**63 - 1})) == ["query", "offset"]
    assert _loc(
        admin.post(
            "/v1/exceptions", json={"type": "late_shipment", "refs": {"shipment_id": "SHP-000010"}, "external_id": ""}
        )
    ) == ["body", "external_id"]
    assert _loc(admin.post("/v1/exceptions", json={"type": "late_shipment", "refs": {"shipment_id": ""}})) == [
        "body",
        "refs",
        "shipment_id",
    ]
    assert admin.get("/v1/exceptions").json()["total"] == 0
    assert admin.get("/v1/audit", params={"kind": "events_ingested"}).json()["items"] == []


def test_a_422_echoes_only_a_short_excerpt(api_client):
    response = api_client("integrator").post(
        "/v1/exceptions", json={"type": "late_shipment", "description": "x" * 1_000_000, "refs": {"shipment_id": 5}}
    )
    assert response.status_code == 422 and len(response.content) < 2000
    assert excerpt("y" * 500) == "y" * 80 + "…" and excerpt(float("inf")) == "inf" and excerpt(7) == 7


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_large_body_is_413_before_authentication(seeded_url, tmp_path):
    settings = Settings(database_url=seeded_url, data_dir=tmp_path, max_body_bytes=100_000)
    with TestClient(create_app(settings)) as client:
        declared = client.post("/v1/events", content=b"x" * 200_000, headers={"Content-Type": "application/json"})
        assert declared.status_code == 413

        def chunks():
            """A body streamed without a Content-Length."""
            for _ in range(20):
                yield b"y" * 10_000

        streamed = client.post("/v1/events", content=chunks(), headers={"Content-Type": "application/json"})
        assert streamed.status_code == 413
        assert client.post("/v1/events", json={"events": [SCAN]}).status_code == 401
