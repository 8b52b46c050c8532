"""Tests of the Prometheus metrics endpoint."""

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from tests.api.desk_api import DeskApi


@pytest.fixture
def api(api_client, seeded_url) -> DeskApi:
    """One app on a private seeded database with trained models, and keys of every role."""
    return DeskApi(api_client(None), seeded_url)


def _value(client: TestClient, name: str, **labels: str) -> float | None:
    """One sample of the app's metrics (None when absent), scraped without a key."""
    response = client.get("/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            if sample.name == name and sample.labels == labels:
                return sample.value
    return None


def test_decisions_open_work_and_latency(api):
    assert _value(api.client, "yardmaster_pending_approvals", specialist="routing") == 0
    decision_id = api.pending_decision()["decision_id"]
    assert _value(api.client, "yardmaster_decisions_total", status="pending_approval", specialist="routing") == 1
    assert _value(api.client, "yardmaster_pending_approvals", specialist="routing") == 1
    assert _value(api.client, "yardmaster_open_exceptions") == 1
    api.call("POST", f"/v1/decisions/{decision_id}/approve", role="planner")
    api.call("POST", f"/v1/decisions/{decision_id}/approve", role="planner")
    assert _value(api.client, "yardmaster_decisions_total", status="executed", specialist="routing") == 1
    assert _value(api.client, "yardmaster_pending_approvals", specialist="routing") == 0
    assert _value(api.client, "yardmaster_open_exceptions") == 0
    route = "/v1/decisions/{decision_id}/approve"
    assert (
        _value(api.client, "yardmaster_request_duration_seconds_count", method="POST", route=route, status="200") == 1
    )
    assert (
        _value(api.client, "yardmaster_request_duration_seconds_count", method="POST", route=route, status="409") == 1
    )
    api.call("GET", "/nowhere")
    assert (
        _value(api.client, "yardmaster_request_duration_seconds_count", method="GET", route="unmatched", status="404")
        == 1
    )


def test_desk_errors_are_counted_per_app(api, api_client, monkeypatch):
    def broken(*_args, **_kwargs):
        raise RuntimeError("solver crashed")

    monkeypatch.setattr(api.client.app.state.desk.graph, "invoke", broken)
    failed = api.call(
        "POST", "/v1/exceptions", role="integrator", json={"type": "demand_spike", "refs": {"sku": "SKU-0001"}}
    )
    assert failed.status_code == 500 and failed.json()["exception_id"].startswith("EXC-")  # a JSON 500 naming it
    assert _value(api.client, "yardmaster_desk_errors_total", operation="submit", error="RuntimeError") == 1
    assert _value(api_client(None), "yardmaster_desk_errors_total", operation="submit", error="RuntimeError") is None
