"""`GET /v1/attribution` on a small hand-built rollout: the effect with its interval per trigger and action type, the
rollout over the cohorts, any role may read it, and a bad filter is a 422 naming it."""

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from tests.agents.rollout_twin import LANES_PER_SITE, build
from tests.api.conftest import issue_key
from twin.settings import Settings

PLANTED = -0.10


@pytest.fixture
def client(empty_url: str, tmp_path, monkeypatch) -> Iterator[TestClient]:
    """An app on a rollout twin with a planted effect, with a viewer's key."""
    monkeypatch.setenv("YM_WEBHOOK_INTERVAL_S", "0")
    build(empty_url, seed=1, planted=PLANTED)
    headers = {"Authorization": f"Bearer {issue_key(empty_url, 'viewer').key}"}
    with TestClient(create_app(Settings(database_url=empty_url, data_dir=tmp_path)), headers=headers) as client:
        yield client


def test_a_viewer_reads_the_effects_with_their_intervals(client: TestClient):
    response = client.get("/v1/attribution")
    assert response.status_code == 200, response.text
    body = response.json()
    (trigger,) = body["triggers"]
    assert trigger["trigger"] == "late_shipment" and trigger["fired"] == 2 * LANES_PER_SITE
    (row,) = trigger["actions"]
    (effect,) = row["effects"]
    shadow = effect["against_shadow"]
    assert shadow["low"] <= -PLANTED <= shadow["high"]
    assert (shadow["treated_units"], shadow["control_units"]) == (LANES_PER_SITE, LANES_PER_SITE)
    assert [e["kpi"] for e in body["rollout"]] == ["on_time_delivery"]
    assert body["periods"]["measured"]["days"] == 28 and "bootstrap" in body["method"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"site": "DC-NOPE"}, "site"),
        ({"lane": "NOPE-NOPE"}, "lane"),
        ({"from": "2026-10-20", "to": "2026-10-01"}, "to"),
        ({"baseline_days": 0}, "baseline_days"),
        ({"from": "yesterday"}, "from"),
        ({"from": "0001-01-02", "to": "0001-01-05"}, "from"),
        ({"to": "9999-12-31"}, "to"),
    ],
)
def test_bad_input_is_a_422_naming_the_field(client: TestClient, params: dict, field: str):
    response = client.get("/v1/attribution", params=params)
    assert response.status_code == 422, response.text
    assert any(error["loc"][-1] == field for error in response.json()["detail"]), response.json()


def test_a_request_without_a_key_is_refused(client: TestClient):
    assert client.get("/v1/attribution", headers={"Authorization": ""}).status_code == 401
