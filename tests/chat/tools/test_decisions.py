"""Decision tools: report, explain, list and verdicts, by role."""

from sqlmodel import select

from tests.agents.monitoring_fixtures import governance_pending
from twin import models as m
from twin import store

TRUCK_FAULT = "Truck 7 is overheating and losing oil pressure"


def test_report_explain_list_and_verdicts_by_role(desk, tools_for):
    planner, viewer = tools_for("planner"), tools_for("viewer")
    assert viewer["report_exception"].invoke({"description": TRUCK_FAULT}) == (
        "the viewer role cannot report exceptions; integrator, planner or admin can"
    )
    assert tools_for("architect")["report_exception"].invoke({"description": TRUCK_FAULT}) == (
        "the architect role cannot report exceptions; integrator, planner or admin can"
    )
    reported = tools_for("integrator")["report_exception"].invoke({"description": TRUCK_FAULT, "asset_id": "truck 7"})
    decision_id = reported["decision_id"]
    assert reported["status"] == "pending_approval" and reported["specialist"] == "maintenance"
    with desk.toolbox.session() as session:
        record = session.get(m.ExceptionRecord, reported["exception_id"])
        assert (record.source, record.actor, record.refs) == ("chat", "test-integrator", {"asset_id": "TRK-007"})

    explained = viewer["explain_decision"].invoke({"asset_id": "TRK-007"})
    assert explained["decision_id"] == decision_id and explained["justification"]
    assert viewer["explain_decision"].invoke({"decision_id": decision_id})["actions"] == reported["actions"]
    pending = {"status": "pending_approval"}
    assert [d["decision_id"] for d in viewer["list_decisions"].invoke(pending)["decisions"]] == [decision_id]
    assert viewer["list_decisions"].invoke({"asset_id": "TRK-007", "specialist": "maintenance"})["count"] == 1
    assert viewer["list_decisions"].invoke({"status": "waiting"}).startswith("status is one of")

    refused = viewer["approve_decision"].invoke({"decision_id": decision_id})
    assert refused == "the viewer role cannot approve decisions; planner, architect or admin can"
    assert viewer["reject_decision"].invoke({"decision_id": decision_id}).startswith("the viewer role cannot reject")
    assert viewer["list_decisions"].invoke(pending)["count"] == 1
    assert planner["approve_decision"].invoke({"decision_id": "DEC-NOPE"}) == "DEC-NOPE is not in the twin"
    assert planner["reject_decision"].invoke({"decision_id": decision_id}) == (
        "give the reason for the rejection; it is stored with the decision"
    )

    approved = planner["approve_decision"].invoke({"decision_id": decision_id, "reason": "bay is free"})
    assert approved["status"] == "executed"
    assert planner["list_decisions"].invoke(pending)["count"] == 0
    assert "not pending_approval" in planner["reject_decision"].invoke({"decision_id": decision_id, "reason": "late"})
    with desk.toolbox.session() as session:
        verdict = session.exec(select(m.Approval)).one()
    assert (verdict.decision_id, verdict.actor, verdict.verdict, verdict.reason) == (
        decision_id,
        "test-planner",
        "approve",
        "bay is free",
    )


def test_report_with_an_unknown_code_submits_nothing(desk, tools_for):
    tools = tools_for("integrator")
    assert (
        tools["report_exception"].invoke({"description": "SHP-999999 is late", "shipment_id": "SHP-999999"})
        == "SHP-999999 is not in the twin"
    )
    with desk.toolbox.session() as session:
        assert store.count(session, m.ExceptionRecord) == 0


def test_a_decision_that_governs_a_model_is_not_a_planners_to_decide(desk, tools_for):
    decision = governance_pending(desk, "miscal000011")
    planner, admin = tools_for("planner"), tools_for("admin")
    why = f"{decision.decision_id} (lower_autonomy, recommend_retraining); architect or admin can"
    args = {"decision_id": decision.decision_id, "reason": "calibration is off"}
    assert planner["approve_decision"].invoke(args) == f"the planner role cannot approve {why}"
    assert planner["reject_decision"].invoke(args) == f"the planner role cannot reject {why}"
    assert (
        planner["override_decision"]
        .invoke({**args, "alternative": True})
        .startswith(f"the planner role cannot override {decision.decision_id} (")
    )
    assert admin["approve_decision"].invoke(args)["status"] == "executed"


def test_an_architect_decides_one_that_governs_a_model_and_no_other(desk, tools_for):
    architect = tools_for("architect")
    ordinary = tools_for("integrator")["report_exception"].invoke({"description": TRUCK_FAULT, "asset_id": "truck 7"})
    args = {"decision_id": ordinary["decision_id"], "reason": "the bay is free"}
    for verdict, extra in (("approve", {}), ("reject", {}), ("override", {"alternative": True})):
        refused = architect[f"{verdict}_decision"].invoke({**args, **extra})
        assert refused.startswith(f"the architect role cannot {verdict} {ordinary['decision_id']} (")
        assert refused.endswith("); planner or admin can")

    governing = governance_pending(desk, "miscal000012").decision_id
    assert architect["reject_decision"].invoke({"decision_id": governing}) == (
        "give the reason for the rejection; it is stored with the decision"
    )
    assert architect["override_decision"].invoke(
        {"decision_id": governing, "reason": "r", "carrier": "CAR-PRAIRIE"}
    ) == (f"the actions of {governing} name no carrier to replace")
    approved = architect["approve_decision"].invoke({"decision_id": governing, "reason": "calibration is off"})
    assert approved["status"] == "executed"
    with desk.toolbox.session() as session:
        verdict = session.exec(select(m.Approval)).one()
    assert (verdict.decision_id, verdict.actor, verdict.verdict) == (governing, "test-architect", "approve")
    assert tools_for("planner")["list_decisions"].invoke({"status": "pending_approval"})["count"] == 1
