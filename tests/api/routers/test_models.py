"""Model versions over HTTP: listed for anyone, promoted and rolled back by architects only, bad input named, every
change audited, and new decisions citing the version in force, on the app in process and on a running server whose
versions another process rolls back."""

import time
from datetime import timedelta

from sqlalchemy import update
from sqlmodel import col
from typer.testing import CliRunner

from cli.main import app as cli
from tests.api.conftest import issue_key
from tests.api.desk_api import DeskApi
from tests.api.live_server import Server
from tests.conftest import copy_trained, register_copy
from tests.twin.performance_history import Measured, keep_performance
from tools import late_risk, registry
from twin import models as m
from twin import store
from twin.db import make_engine, session_scope

LATE = late_risk.MODEL_NAME


def late_decision(post, shipment_id: str) -> dict:
    """A late-shipment decision made through the API with `post(path, json=...)`."""
    response = post("/v1/exceptions", json={"type": "late_shipment", "refs": {"shipment_id": shipment_id}})
    assert response.status_code == 201, response.text
    return response.json()


def cited(decision: dict) -> str:
    """The late-risk version a decision records and its evidence cites (the two must agree)."""
    sources = {e["source"]["version"] for e in decision["evidence"] if e["source"]["model"] == LATE}
    assert sources == {decision["model_versions"][LATE]}, (sources, decision["model_versions"])
    return decision["model_versions"][LATE]


def test_promotion_and_rollback_are_for_architects_audited_and_cited_by_new_decisions(api: DeskApi, tmp_path):
    first = registry.resolve(tmp_path / "models", LATE)[0].version
    second = register_copy(tmp_path / "models", LATE, "second000001")
    listed = {entry["name"]: entry for entry in api.call("GET", "/v1/models", role="viewer").json()}
    assert listed[LATE]["active_version"] == second  # never promoted: the newest trained
    assert [(v["version"], v["active"]) for v in listed[LATE]["versions"]] == [(first, False), (second, True)]
    assert listed[LATE]["versions"][0]["metrics"] and listed[LATE]["versions"][0]["trained_at"]

    promote = f"/v1/models/{LATE}/promote"
    assert api.call("POST", promote, role="planner", json={"version": first}).status_code == 403
    unknown = api.call("POST", promote, role="architect", json={"version": "nope"})
    assert unknown.status_code == 422 and unknown.json()["detail"][0]["loc"] == ["body", "version"]
    assert "nope" in unknown.json()["detail"][0]["msg"]
    assert api.call("POST", "/v1/models/xgb-nope/promote", role="architect", json={"version": first}).status_code == 404
    no_previous = api.call("POST", f"/v1/models/{LATE}/rollback", role="architect")
    assert no_previous.status_code == 409 and "no previously active version" in no_previous.json()["detail"]

    promoted = api.call("POST", promote, role="architect", json={"version": first})
    assert promoted.status_code == 200, promoted.text
    assert (promoted.json()["from_version"], promoted.json()["to_version"]) == (second, first)
    post = lambda path, json: api.call("POST", path, role="integrator", json=json)  # noqa: E731
    assert cited(late_decision(post, "SHP-009284")) == first

    rolled = api.call("POST", f"/v1/models/{LATE}/rollback", role="architect")
    assert (rolled.json()["from_version"], rolled.json()["to_version"]) == (first, second)
    assert cited(late_decision(post, "SHP-009279")) == second
    assert api.call("GET", f"/v1/models/{LATE}", role="viewer").json()["active_version"] == second

    changes = [
        (e["actor"], e["kind"], e["detail"]["from_version"], e["detail"]["to_version"])
        for kind in ("model_promote", "model_rollback")
        for e in api.call("GET", "/v1/audit", role="admin", params={"kind": kind}).json()["items"]
    ]
    assert changes == [
        ("test-architect", "model_promote", second, first),
        ("test-architect", "model_rollback", first, second),
    ]


def test_after_a_rollback_new_decisions_on_a_running_server_cite_the_previous_version(
    seeded_url, trained_dir, tmp_path, monkeypatch
):
    copy_trained(trained_dir, tmp_path)
    first = registry.resolve(tmp_path / "models", LATE)[0].version
    second = register_copy(tmp_path / "models", LATE, "second000001")
    monkeypatch.setenv("YM_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("YM_DATABASE_URL", seeded_url)
    runner = CliRunner()
    for version in (first, second):
        assert runner.invoke(cli, ["models", "promote", LATE, version]).exit_code == 0
    server = Server(seeded_url, tmp_path, YM_MODEL_REFRESH_S="0.5").start()
    try:
        headers = {"Authorization": f"Bearer {issue_key(seeded_url, 'integrator').key}"}
        post = lambda path, json: server.client.post(path, json=json, headers=headers)  # noqa: E731
        assert cited(late_decision(post, "SHP-009284")) == second
        rolled = runner.invoke(cli, ["models", "rollback", LATE, "--actor", "ana"])  # another process
        assert rolled.exit_code == 0, rolled.output
        time.sleep(1.0)
        assert cited(late_decision(post, "SHP-009279")) == first
    finally:
        server.kill()


def test_drift_shows_a_shifted_feature_of_recent_scoring_and_not_once_it_is_restored(api: DeskApi, seeded_url):
    drift = f"/v1/models/{LATE}/drift"

    def distance_psi() -> tuple[float, bool]:
        """The distance feature's PSI and whether it drifted."""
        response = api.call("GET", drift, role="viewer")
        assert response.status_code == 200, response.text
        report = response.json()
        assert report["rows"] > 0 and report["threshold"] == 0.2
        [feature] = [f for f in report["features"] if f["feature"] == "distance_miles"]
        return feature["psi"], feature["drifted"]

    def scale_recent_distances(factor: float) -> None:
        """Multiply the distance of every shipment of the last two weeks (the drift window)."""
        engine = make_engine(seeded_url)
        with session_scope(engine) as session:
            since = store.as_of(session) - timedelta(days=14)
            session.execute(
                update(m.Shipment)
                .where(col(m.Shipment.shipped_at) >= since)
                .values(distance_miles=m.Shipment.distance_miles * factor)
            )
        engine.dispose()

    before, drifted = distance_psi()
    assert not drifted
    scale_recent_distances(3.0)
    shifted, drifted = distance_psi()
    assert drifted and shifted > 0.2 > before
    scale_recent_distances(1 / 3.0)
    restored, drifted = distance_psi()
    assert not drifted and abs(restored - before) < 0.01
    assert api.call("GET", "/v1/models/xgb-nope/drift", role="viewer").status_code == 404
    assert api.call("GET", "/v1/models/xgb-demand/drift", role="viewer").status_code == 409


def test_the_metrics_history_lists_what_the_detector_pass_kept(api: DeskApi, seeded_url):
    path = f"/v1/models/{LATE}/metrics"
    assert api.call("GET", path, role="viewer").json()["performance"] == []
    version = api.call("GET", f"/v1/models/{LATE}", role="viewer").json()["active_version"]
    keep_performance(
        seeded_url,
        LATE,
        version,
        [
            Measured(days_back=back, rows=300 + back, metrics={"roc_auc": 0.97, "calibration_error": 0.02 + back})
            for back in (1, 0)
        ],
    )
    history = api.call("GET", path, role="viewer").json()
    assert [run["rows"] for run in history["performance"]] == [301, 300]  # oldest first
    assert history["active_version"] == version and history["previous_version"] is None
    assert api.call("GET", "/v1/models/xgb-nope/metrics", role="viewer").status_code == 404
