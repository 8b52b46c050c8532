"""Who may decide which decision: one that governs a model (rollback, retraining, lower autonomy) waits for an
architect, and a planner's approval, rejection or override of it is refused naming the roles that may decide it;
the inbox and the decision's own URL say who decides it."""

from pathlib import Path

from tests.agents.monitoring_fixtures import LATE, miscalibrated
from tests.api.desk_api import DeskApi

RETRAIN = {
    "type": "recommend_retraining",
    "params": {"model": LATE, "version": "any", "reasons": ["calibration error too high"]},
}


def governance_pending(api: DeskApi, models_dir: Path) -> dict:
    """A model-drift decision waiting for approval: a miscalibrated late-risk version is put in force, then
    reported."""
    bad = miscalibrated(models_dir, "miscal000010")
    promoted = api.call("POST", f"/v1/models/{LATE}/promote", role="architect", json={"version": bad})
    assert promoted.status_code == 200, promoted.text
    response = api.call(
        "POST", "/v1/exceptions", role="integrator", json={"type": "model_drift", "refs": {"model": LATE}}
    )
    assert response.status_code == 201 and response.json()["status"] == "pending_approval", response.text
    return response.json()


def test_a_decision_that_governs_a_model_waits_for_an_architect(api: DeskApi, late_pending, tmp_path):
    governing = governance_pending(api, tmp_path / "models")
    decision_id = governing["decision_id"]
    types = sorted(action["type"] for action in governing["actions"])
    assert types == ["lower_autonomy", "recommend_retraining"]
    late = late_pending("SHP-009284")
    deciders = {item["decision_id"]: item["deciders"] for item in api.call("GET", "/v1/inbox").json()["items"]}
    assert deciders == {decision_id: ["architect", "admin"], late["decision_id"]: ["planner", "admin"]}
    for pending_id, roles in deciders.items():
        assert api.call("GET", f"/v1/decisions/{pending_id}", role="viewer").json()["deciders"] == roles

    path = f"/v1/decisions/{decision_id}"
    bodies = {
        "approve": {"reason": "looks right"},
        "reject": {"reason": "not now"},
        "override": {"actions": governing["actions"][:1], "reason": "retraining only"},
    }
    for verdict, body in bodies.items():
        refused = api.call("POST", f"{path}/{verdict}", role="planner", json=body)
        assert refused.status_code == 403, (verdict, refused.text)
        assert refused.json()["detail"] == (
            f"deciding {decision_id} (lower_autonomy, recommend_retraining) needs the architect role (or admin); "
            "key 'test-planner' has planner"
        )
    assert api.call("GET", f"{path}/verdicts").json()["verdicts"] == []
    assert api.call("POST", "/v1/decisions/DEC-NOPE/approve", role="planner").status_code == 404

    approved = api.call("POST", f"{path}/approve", role="architect", json={"reason": "calibration is off"})
    assert approved.status_code == 200 and approved.json()["status"] == "executed", approved.text
    verdicts = api.call("GET", f"{path}/verdicts").json()["verdicts"]
    assert [(v["actor"], v["verdict"]) for v in verdicts] == [("test-architect", "approve")]


def test_other_decisions_stay_with_planners_and_an_edit_that_governs_a_model_needs_an_architect(
    api: DeskApi, late_pending
):
    decision_id = late_pending("SHP-009279")["decision_id"]
    path = f"/v1/decisions/{decision_id}"
    architect = api.call("POST", f"{path}/approve", role="architect")
    assert architect.status_code == 403
    assert architect.json()["detail"].endswith("needs the planner role (or admin); key 'test-architect' has architect")
    edited = api.call("POST", f"{path}/override", role="planner", json={"actions": [RETRAIN], "reason": "retrain"})
    assert edited.status_code == 403 and "needs the architect role (or admin)" in edited.json()["detail"]
    assert "recommend_retraining" in edited.json()["detail"]
    assert api.call("POST", f"{path}/approve", role="viewer").status_code == 403
    approved = api.call("POST", f"{path}/approve", role="planner", json={"reason": "customer asked"})
    assert approved.status_code == 200 and approved.json()["status"] == "executed"
