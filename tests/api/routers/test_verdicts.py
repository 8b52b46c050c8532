"""A decision's verdicts keep who decided, how and why; overrides keep the actions before and after."""

from tests.api.desk_api import DeskApi


def test_a_rejection_keeps_its_reason(api: DeskApi, late_pending):
    decision_id = late_pending("SHP-009267")["decision_id"]
    assert api.call("GET", f"/v1/decisions/{decision_id}/verdicts").json()["verdicts"] == []
    api.call("POST", f"/v1/decisions/{decision_id}/reject", role="planner", json={"reason": "Customer already called"})
    answer = api.call("GET", f"/v1/decisions/{decision_id}/verdicts", role="viewer").json()
    assert [(v["actor"], v["verdict"], v["reason"]) for v in answer["verdicts"]] == [
        ("test-planner", "reject", "Customer already called")
    ]
    assert answer["overrides"] == []


def test_an_override_keeps_the_actions_before_and_after(api: DeskApi, late_pending):
    decision = late_pending("SHP-009279")
    new = [{"type": "switch_carrier", "params": {"shipment_id": "SHP-009279", "to_carrier": "CAR-PRAIRIE"}}]
    assert (
        api.call(
            "POST",
            f"/v1/decisions/{decision['decision_id']}/override",
            role="planner",
            json={"actions": new, "reason": "Prairie has a truck at the dock"},
        ).status_code
        == 200
    )
    answer = api.call("GET", f"/v1/decisions/{decision['decision_id']}/verdicts").json()
    assert answer["verdicts"][0]["verdict"] == "override"
    override = answer["overrides"][0]
    assert [a["type"] for a in override["original_actions"]] == [a["type"] for a in decision["actions"]]
    assert override["new_actions"][0]["params"]["to_carrier"] == "CAR-PRAIRIE"


def test_an_unknown_decision_is_a_404(api: DeskApi):
    answer = api.call("GET", "/v1/decisions/DEC-NOPE/verdicts")
    assert answer.status_code == 404 and "DEC-NOPE" in answer.json()["detail"]
