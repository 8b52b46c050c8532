"""Fixtures of the router tests: one app with keys of every role."""

import pytest

from tests.api.desk_api import DeskApi


@pytest.fixture
def api(api_client, seeded_url) -> DeskApi:
    """One app on a private seeded database with trained models, and keys of every role."""
    return DeskApi(api_client(None), seeded_url)


@pytest.fixture
def late_pending(api: DeskApi):
    """`late_pending(shipment_id)`: a late-shipment decision that waits for a planner (notifying is set to level 2)."""
    assert (
        api.call("PUT", "/v1/policies/notify_customer", role="architect", json={"autonomy_level": 2}).status_code == 200
    )

    def make(shipment_id: str) -> dict:
        response = api.call(
            "POST",
            "/v1/exceptions",
            role="integrator",
            json={"type": "late_shipment", "refs": {"shipment_id": shipment_id}, "severity": "high"},
        )
        assert response.status_code == 201 and response.json()["status"] == "pending_approval", response.text
        return response.json()

    return make
