"""Tests of reporting, listing and reading exceptions through the HTTP API."""

import time

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from api.app import create_app
from tests.api.conftest import issue_key
from tests.api.desk_api import CAPACITY_LOSS, DeskApi, detail_locs, quality_counts
from twin import models as m
from twin.db import make_engine, session_scope
from twin.settings import Settings

LATE = {"type": "late_shipment", "refs": {"shipment_id": "SHP-000010"}, "severity": "high", "source": "tms"}


@pytest.fixture
def api(api_client, seeded_url) -> DeskApi:
    """One app on a private seeded database with trained models, and keys of every role."""
    return DeskApi(api_client(None), seeded_url)


def test_post_needs_an_integrator_key_and_a_valid_body(api):
    assert api.call("POST", "/v1/exceptions", role=None, json=LATE).status_code == 401
    for role in ("viewer", "architect"):
        assert api.call("POST", "/v1/exceptions", role=role, json=LATE).status_code == 403
    assert detail_locs(api.call("POST", "/v1/exceptions", role="planner", json={**LATE, "type": "flood"})) == [
        ["body", "type"]
    ], "planners report exceptions here as they do in chat"
    assert detail_locs(api.call("POST", "/v1/exceptions", role="integrator", json={**LATE, "type": "flood"})) == [
        ["body", "type"]
    ]
    assert detail_locs(api.call("POST", "/v1/exceptions", json={**LATE, "refs": {"truck": "TRK-001"}})) == [
        ["body", "refs", "truck"]
    ]
    missing = api.call("POST", "/v1/exceptions", json={"refs": {"carrier": "CAR-REDRIVER"}})
    assert "description" in missing.json()["detail"][0]["msg"] and missing.status_code == 422
    assert api.call("GET", "/v1/exceptions").json()["total"] == 0


def test_retry_with_the_same_key_returns_the_same_decision(api, seeded_url):
    key = {"Idempotency-Key": "tms-retry-1"}
    first = api.client.post("/v1/exceptions", json=LATE, headers={**api.headers["integrator"], **key})
    again = api.client.post("/v1/exceptions", json=LATE, headers={**api.headers["integrator"], **key})
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json() and first.json()["exception_id"].startswith("EXC-")
    other_shipment = {**LATE, "refs": {"shipment_id": "SHP-000011"}, "external_id": "tms-7"}
    by_external_id = [api.call("POST", "/v1/exceptions", role="integrator", json=other_shipment) for _ in range(2)]
    assert [r.status_code for r in by_external_id] == [201, 200]
    assert by_external_id[0].json()["decision_id"] == by_external_id[1].json()["decision_id"]
    engine = make_engine(seeded_url)
    with session_scope(engine) as session:
        decisions = session.exec(select(m.DecisionRecord.exception_id)).all()
        stored = session.exec(select(m.ExceptionRecord).where(m.ExceptionRecord.idempotency_key == "tms-retry-1")).one()
    engine.dispose()
    assert sorted(decisions) == sorted([first.json()["exception_id"], by_external_id[0].json()["exception_id"]])
    assert stored.actor == "test-integrator"


def test_list_filter_paginate_and_read(api):
    late = api.call("POST", "/v1/exceptions", role="integrator", json=LATE).json()
    capacity = [api.call("POST", "/v1/exceptions", role="integrator", json=CAPACITY_LOSS).json() for _ in range(2)]
    everything = api.call("GET", "/v1/exceptions", role="viewer").json()
    assert everything["total"] == 3 and [item["id"] for item in everything["items"]][-1] == late["exception_id"]
    page = api.call(
        "GET", "/v1/exceptions", role="viewer", params={"type": "carrier_capacity", "limit": 1, "offset": 1}
    ).json()
    assert (page["total"], page["limit"], page["offset"], len(page["items"])) == (2, 1, 1, 1)
    assert page["items"][0]["id"] in {decision["exception_id"] for decision in capacity}
    closed = api.call("GET", "/v1/exceptions", role="viewer", params={"status": "closed"}).json()
    assert closed["total"] == sum(d["status"] not in ("pending_approval", "needs_info") for d in [late, *capacity])
    one = api.call("GET", f"/v1/exceptions/{late['exception_id']}", role="planner").json()
    assert one["decision_id"] == late["decision_id"] and one["refs"] == LATE["refs"] and one["source"] == "tms"
    missing = api.call("GET", "/v1/exceptions/EXC-NOPE")
    assert missing.status_code == 404 and "EXC-NOPE" in missing.json()["detail"]
    assert detail_locs(api.call("GET", "/v1/exceptions", params={"status": "lost", "limit": 0})) == [
        ["query", "status"],
        ["query", "limit"],
    ]
    assert api.call("GET", "/v1/exceptions", role=None).status_code == 401


def test_post_without_trained_models_is_503(seeded_url, tmp_path):
    headers = {"Authorization": f"Bearer {issue_key(seeded_url, 'integrator').key}"}
    with TestClient(create_app(Settings(database_url=seeded_url, data_dir=tmp_path)), headers=headers) as client:
        response = client.post("/v1/exceptions", json=LATE)
    assert response.status_code == 503 and "yardmaster train" in response.json()["detail"]


def test_an_idempotency_key_reused_with_another_body_is_422_and_a_duplicate_answers_the_first_decision(api):
    key = {**api.headers["integrator"], "Idempotency-Key": "tms-bound-1"}
    first = api.client.post("/v1/exceptions", json=CAPACITY_LOSS, headers=key)
    other_body = api.client.post("/v1/exceptions", json={**CAPACITY_LOSS, "severity": "critical"}, headers=key)
    assert first.status_code == 201 and detail_locs(other_body) == [["header", "Idempotency-Key"]]
    assert "another request body" in other_body.json()["detail"][0]["msg"]
    duplicate = api.call("POST", "/v1/exceptions", role="integrator", json={**CAPACITY_LOSS, "source": "wms"})
    assert duplicate.status_code == 200 and duplicate.json()["decision_id"] == first.json()["decision_id"]
    assert duplicate.json()["duplicate_of"] == first.json()["exception_id"]
    listed = api.call("GET", "/v1/exceptions", role="viewer").json()["items"]
    merged = next(item for item in listed if item["duplicate_of"])
    assert merged["decision_id"] == first.json()["decision_id"] and merged["status"] == "closed"
    assert api.call("GET", "/v1/decisions").json()["total"] == 1
    assert quality_counts(api.client, "exceptions") == {"duplicate": 2.0}  # the reused key, the merged report


def test_an_exception_older_than_the_age_limit_is_refused_naming_occurred_at_and_counted(api):
    stale = api.call("POST", "/v1/exceptions", role="integrator", json={**LATE, "occurred_at": "2026-10-01T08:00:00Z"})
    assert detail_locs(stale) == [["body", "occurred_at"]] and "72 hours" in stale.json()["detail"][0]["msg"]
    missing = api.call("POST", "/v1/exceptions", role="integrator", json={**LATE, "refs": None})
    too_long = api.call("POST", "/v1/exceptions", role="integrator", json={**LATE, "source": "x" * 500})
    assert missing.status_code == too_long.status_code == 422
    assert quality_counts(api.client, "exceptions") == {"late": 1.0, "null": 1.0, "range": 1.0}
    assert api.call("GET", "/v1/exceptions", role="viewer").json()["total"] == 0


def test_a_report_holds_one_database_connection_while_it_is_decided(api_client, monkeypatch):
    monkeypatch.setenv("YM_SWEEP_INTERVAL_S", "0")  # only the start-up sweep, which must end before the count
    client = api_client("integrator")
    desk, pool = client.app.state.desk, client.app.state.engine.pool
    held, answer = [], desk.answer
    deadline, idle_since = time.monotonic() + 60, time.monotonic()
    while time.monotonic() - idle_since < 1.0 and time.monotonic() < deadline:  # the start-up sweep runs aside
        idle_since = idle_since if pool.checkedout() == 0 else time.monotonic()
        time.sleep(0.02)

    def counting(*args, **kwargs):
        held.append(pool.checkedout())
        return answer(*args, **kwargs)

    monkeypatch.setattr(desk, "answer", counting)
    assert client.post("/v1/exceptions", json=LATE, headers={"Idempotency-Key": "one-connection"}).status_code == 201
    assert held == [0]


def test_a_decision_not_ready_within_the_wait_is_answered_202_then_finishes_in_the_background(
    api_client, seeded_url, monkeypatch
):
    monkeypatch.setenv("YM_ANSWER_WAIT_S", "0")
    api = DeskApi(api_client(None), seeded_url)
    keyed = {**api.headers["integrator"], "Idempotency-Key": "k-202"}
    accepted = api.client.post("/v1/exceptions", json=LATE, headers=keyed)
    assert accepted.status_code == 202, accepted.text
    body = accepted.json()
    assert accepted.headers["Location"] == f"/v1/exceptions/{body['id']}"
    assert body["intake"] in ("deciding", "decided") and body["refs"] == LATE["refs"]
    deadline = time.monotonic() + 60
    while (read := api.call("GET", accepted.headers["Location"]).json())["decision_id"] is None:
        assert time.monotonic() < deadline, read
        time.sleep(0.2)
    assert read["intake"] == "decided"
    decision = api.call("GET", f"/v1/decisions/{read['decision_id']}").json()
    assert decision["exception_id"] == body["id"] and decision["status"] in (
        "executed",
        "pending_approval",
        "no_action",
    )
    retry = api.client.post("/v1/exceptions", json=LATE, headers=keyed)
    assert retry.status_code == 200, "a decision made by then is the answer"
    assert retry.json()["decision_id"] == read["decision_id"]
    assert api.call("GET", "/v1/exceptions").json()["total"] == 1


def test_free_text_is_read_as_chat_reads_it_and_needs_info_names_what_is_missing(api):
    stock = api.call(
        "POST", "/v1/exceptions", role="integrator", json={"description": "we're almost out of SKU-0034 in Chicago"}
    )
    assert stock.status_code == 201, stock.text
    assert stock.json()["status"] != "needs_info" and stock.json()["specialist"] == "inventory"
    vague = api.call(
        "POST", "/v1/exceptions", role="integrator", json={"description": "We are running low on stock in Houston"}
    )
    decision = vague.json()
    assert decision["status"] == "needs_info"
    assert (
        decision["justification"]["text"] == "The report cannot be resolved yet: please give the SKU (e.g. SKU-0042)."
    )
