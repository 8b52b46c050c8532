"""End-to-end tests of the desk graph: every exception type, approvals across a restart, the OpenAI path."""

import pytest
from sqlmodel import Session, col, select

from agents.schemas import Decision, ExceptionIn
from agents.verify import verify_claim
from graph import intake
from graph.desk import DecisionConflict, open_desk
from graph.state import Verdict
from tests.agents.fake_openai import FakeOpenAI, text_reply, tool_reply
from twin import models as m
from twin.db import make_engine

CASES = [
    (
        {"type": "late_shipment", "refs": {"shipment_id": "SHP-009284"}},
        "routing",
        {"notify_customer", "expedite_shipment", "switch_carrier"},
    ),
    (
        {"type": "stockout_risk", "refs": {"sku": "SKU-0042", "location": "DC-DAL"}},
        "inventory",
        {"transfer_stock", "expedite_purchase", "place_purchase_order", "book_carrier"},
    ),
    (
        {"type": "equipment_failure_risk", "refs": {"asset_id": "TRK-008"}},
        "maintenance",
        {"schedule_maintenance", "replan_route", "tender_stops"},
    ),
    (
        {
            "type": "carrier_capacity",
            "refs": {"carrier": "CAR-REDRIVER"},
            "description": "Red River loses 30% of its capacity next week",
        },
        "routing",
        {"retender_loads", "book_spot"},
    ),
    (
        {"type": "demand_spike", "refs": {"sku": "SKU-0042", "location": "DC-DAL"}},
        "inventory",
        {"raise_safety_stock", "transfer_stock", "expedite_purchase", "place_purchase_order", "book_carrier"},
    ),
    ({"type": "tender_plan", "refs": {"day": "2026-11-03"}}, "routing", {"plan_tenders"}),
    ({"type": "positioning_plan", "refs": {"day": "2026-11-02"}}, "inventory", {"transfer_stock", "set_reorder_point"}),
    (
        {"type": "maintenance_plan", "refs": {"day": "2026-11-02"}},
        "maintenance",
        {"schedule_maintenance", "replan_route", "tender_stops"},
    ),
]


def assert_grounded(decision: Decision) -> None:
    """Every claim of the justification passes the verifier against the decision's evidence."""
    evidence = {record.id: record for record in decision.evidence}
    assert decision.justification.claims and not decision.justification.dropped_claims
    for claim in decision.justification.claims:
        assert verify_claim(claim, evidence).ok, claim.text


@pytest.mark.parametrize(("exception", "specialist", "allowed"), CASES, ids=[c[0]["type"] for c in CASES])
def test_each_exception_type_gets_a_grounded_decision(desk, exception, specialist, allowed):
    decision = desk.submit(ExceptionIn.model_validate(exception), actor="test")
    assert decision.specialist == specialist
    assert decision.status in ("executed", "pending_approval")
    assert decision.actions and {action.type for action in decision.actions} <= allowed
    assert len(decision.evidence) >= 2 and all(record.source.version for record in decision.evidence)
    assert decision.alternatives and all(alt.why_not for alt in decision.alternatives)
    assert decision.policy is not None
    assert_grounded(decision)


def test_a_retry_with_the_same_external_id_returns_the_first_decision(desk):
    exception = ExceptionIn(type="late_shipment", refs={"shipment_id": "SHP-009284"}, external_id="tms-42")
    first, again = desk.submit(exception), desk.submit(exception)
    assert again.decision_id == first.decision_id
    with desk.toolbox.session() as session:
        assert len(session.exec(select(m.DecisionRecord)).all()) == 1


def test_free_text_without_enough_to_go_on_needs_info(desk):
    decision = desk.submit(ExceptionIn(description="Something is off in the yard, please look"))
    assert decision.status == "needs_info" and decision.missing and not decision.actions
    unknown = desk.submit(ExceptionIn(type="late_shipment", refs={"shipment_id": "SHP-999999"}))
    assert unknown.status == "needs_info" and "shipment_id" in unknown.missing
    assert_grounded(unknown)


def set_policies(settings, action_types: list[str], **fields) -> None:
    """Set these fields of the autonomy rules of these action types, in every cohort."""
    engine = make_engine(settings.resolved_database_url)
    with Session(engine) as session:
        for policy in session.exec(select(m.Policy).where(col(m.Policy.action_type).in_(action_types))):
            for name, value in fields.items():
                setattr(policy, name, value)
            session.add(policy)
        session.commit()
    engine.dispose()


def require_approval(settings, action_type: str) -> None:
    """Make an action type wait for a person."""
    set_policies(settings, [action_type], autonomy_level=2, level="recommend")


def pause(settings) -> Decision:
    """Submit a capacity exception whose re-tender must wait for approval, then close the desk."""
    with open_desk(settings) as desk:
        require_approval(settings, "retender_loads")
        decision = desk.submit(
            ExceptionIn(
                type="carrier_capacity",
                refs={"carrier": "CAR-REDRIVER"},
                description="Red River loses 30% of its capacity",
            ),
            actor="test",
        )
    assert decision.status == "pending_approval" and decision.policy.requires_approval
    return decision


def executed(settings, decision_id: str) -> tuple[list[m.ActionRecord], int]:
    """The executed action records and the action messages in the outbox of a decision."""
    engine = make_engine(settings.resolved_database_url)
    with Session(engine) as session:
        actions = session.exec(
            select(m.ActionRecord).where(m.ActionRecord.decision_id == decision_id, m.ActionRecord.status == "executed")
        ).all()
        outbox = len(
            session.exec(
                select(m.OutboxMessage).where(
                    m.OutboxMessage.decision_id == decision_id, m.OutboxMessage.event_type.startswith("action.")
                )
            ).all()
        )
    engine.dispose()
    return list(actions), outbox


def test_approval_resumes_after_a_restart_and_executes_once(desk_settings):
    paused = pause(desk_settings)
    assert executed(desk_settings, paused.decision_id) == ([], 0)
    with open_desk(desk_settings) as restarted:
        done = restarted.resume(paused.decision_id, Verdict(verdict="approve", actor="planner-1"))
        with pytest.raises(DecisionConflict):
            restarted.resume(paused.decision_id, Verdict(verdict="approve", actor="planner-1"))
    assert done.status == "executed"
    actions, outbox = executed(desk_settings, paused.decision_id)
    assert len(actions) == len(paused.actions) == outbox


def announced(settings, decision_id: str) -> list[tuple[str, dict]]:
    """The decision events in the outbox of a decision, oldest first."""
    engine = make_engine(settings.resolved_database_url)
    with Session(engine) as session:
        messages = session.exec(
            select(m.OutboxMessage)
            .where(m.OutboxMessage.decision_id == decision_id, m.OutboxMessage.event_type.startswith("decision."))
            .order_by(m.OutboxMessage.created_at)
        ).all()
    engine.dispose()
    return [(message.event_type, message.payload) for message in messages]


def test_subscribers_hear_of_a_decision_when_it_waits_and_when_it_ends_once_each(desk_settings):
    paused = pause(desk_settings)
    with open_desk(desk_settings) as restarted:
        restarted.resume(paused.decision_id, Verdict(verdict="reject", actor="planner-1", reason="not now"))
        restarted.sweep()
    events = announced(desk_settings, paused.decision_id)
    assert [kind for kind, _ in events] == ["decision.pending_approval", "decision.rejected"]
    waiting = events[0][1]
    assert waiting["exception_id"] == paused.exception_id and waiting["url"] == f"/v1/decisions/{paused.decision_id}"
    assert waiting["actions"] == [action.type for action in paused.actions]
    assert waiting["cost_usd"] == paused.expected_impact.cost_usd and waiting["summary"]


def test_reject_executes_nothing(desk_settings):
    paused = pause(desk_settings)
    with open_desk(desk_settings) as restarted:
        done = restarted.resume(paused.decision_id, Verdict(verdict="reject", actor="planner-1", reason="not now"))
    assert done.status == "rejected"
    assert executed(desk_settings, paused.decision_id) == ([], 0)


def test_override_executes_the_edited_actions_and_keeps_them_as_labelled_data(desk_settings):
    paused = pause(desk_settings)
    edited = [{"type": "book_spot", "params": {"from_carrier": "CAR-REDRIVER", "loads": 2}}]
    with open_desk(desk_settings) as restarted:
        done = restarted.resume(
            paused.decision_id, Verdict(verdict="override", actor="planner-2", reason="spot is faster", actions=edited)
        )
    assert done.status == "overridden" and [a.type for a in done.actions] == ["book_spot"]
    spot = done.actions[0].params.cost_usd  # the planner left it unpriced: the cost model prices it like any plan
    assert spot is not None and spot > 0 and done.expected_impact.cost_usd == spot
    actions, outbox = executed(desk_settings, paused.decision_id)
    assert [a.type for a in actions] == ["book_spot"] and outbox == 1
    engine = make_engine(desk_settings.resolved_database_url)
    with Session(engine) as session:
        override = session.exec(select(m.Override).where(m.Override.decision_id == paused.decision_id)).one()
    engine.dispose()
    assert override.reason == "spot is faster" and override.original_actions[0]["type"] == "retender_loads"


def test_openai_path_classifies_with_a_tool_call_and_rejects_an_unsupported_rephrasing(desk_settings):
    script = [
        text_reply("I think it is a late shipment."),  # JSON mode answered with prose: function calling follows
        tool_reply("ExceptionReading", {"type": "late_shipment", "refs": {"shipment_id": "SHP-009284"}}),
        text_reply("Shipment SHP-009284 is late; expediting saves 9,999 USD."),
    ]
    with FakeOpenAI(script) as server:
        settings = desk_settings.model_copy(
            update={
                "llm": "openai",
                "llm_base_url": server.base_url,
                "llm_api_key": "test-key",
                "llm_model": "local-model",
            }
        )
        with open_desk(settings) as desk:
            decision = desk.submit(ExceptionIn(description="Shipment SHP-009284 is stuck in traffic"))
    assert decision.specialist == "routing"
    assert decision.justification.fallback_used and decision.justification.writer == "template"
    assert "9,999" not in decision.justification.text
    assert_grounded(decision)
    assert len(server.requests) == 3 and all(r["body"]["model"] == "local-model" for r in server.requests)


def test_detectors_raise_each_risk_once(desk):
    first = desk.detect()
    kinds = {exception.type.value for exception, _ in first}
    assert {"late_shipment", "equipment_failure_risk"} <= kinds
    assert all(exception.source == "detector" and decision.exception_id for exception, decision in first)
    assert desk.detect() == []


def test_a_reported_brake_symptom_ends_in_an_inspection_that_waits_for_approval(desk):
    report = ExceptionIn(
        type="equipment_failure_risk",
        refs={"asset_id": "TRK-016"},
        severity="critical",
        description="brake warning light on, driver reports grinding",
    )
    decision = desk.submit(report, actor="test")
    assert decision.status == "pending_approval"
    [visit] = [action for action in decision.actions if action.type == "schedule_maintenance"]
    assert visit.params.truck == "TRK-016" and visit.params.service in ("inspection", "work_order", "removal")
    assert visit.params.safety_critical is True
    record = next(record for record in decision.evidence if record.id == "report:TRK-016")
    assert record.inputs["description"] == report.description
    cited = [claim for claim in decision.justification.claims if record.id in claim.evidence_ids]
    assert cited and "P(fail)" in cited[0].text
    assert_grounded(decision)


CAPACITY = ExceptionIn(
    type="carrier_capacity", refs={"carrier": "CAR-REDRIVER"}, description="Red River loses 30% of its capacity"
)


def audit_kinds(desk, exception_id: str) -> list[str]:
    """The audit events of an exception's run, in the order they were written."""
    with desk.toolbox.session() as session:
        events = session.exec(
            select(m.AuditEvent).where(m.AuditEvent.exception_id == exception_id).order_by(m.AuditEvent.id)
        ).all()
    return [event.kind for event in events]


def checkpoints(desk, thread_id: str) -> list:
    """The checkpoints stored for a thread, newest first."""
    return list(desk.checkpointer.list({"configurable": {"thread_id": thread_id}}))


def test_a_decision_is_checkpointed_once_at_its_end_holding_its_evidence_once_with_its_audit_in_order(desk):
    decision = desk.submit(CAPACITY, actor="test")
    assert decision.status == "executed"
    [final] = checkpoints(desk, decision.exception_id)
    assert final.checkpoint["channel_values"]["journal"] == []
    [proposal] = final.checkpoint["channel_values"]["proposals"]  # the decision holds the evidence, once
    assert proposal.actions and not proposal.evidence and not proposal.alternatives
    assert final.checkpoint["channel_values"]["decision"].evidence
    kinds = audit_kinds(desk, decision.exception_id)
    assert kinds[:4] == ["exception.received", "exception.classified", "specialist.proposed", "policy.evaluated"]
    assert kinds[-1] == "decision.final" and kinds.count("exception.classified") == 1


def test_a_paused_decision_is_checkpointed_at_the_pause_with_what_its_run_noted(desk_settings):
    paused = pause(desk_settings)
    with open_desk(desk_settings) as restarted:
        [at_pause] = checkpoints(restarted, paused.exception_id)
        assert at_pause.checkpoint["channel_values"]["journal"] == []
        assert audit_kinds(restarted, paused.exception_id) == [
            "exception.received",
            "exception.classified",
            "specialist.proposed",
            "policy.evaluated",
        ]
        done = restarted.resume(paused.decision_id, Verdict(verdict="approve", actor="planner-1"))
        assert done.status == "executed"
        assert audit_kinds(restarted, paused.exception_id).count("decision.final") == 1


def test_a_run_that_fails_midway_writes_nothing_and_its_retry_writes_each_event_once(desk, monkeypatch):
    from graph import nodes

    def broken(*_args, **_kwargs):
        raise RuntimeError("the explainer is down")

    monkeypatch.setattr(nodes, "explain", broken)
    with pytest.raises(RuntimeError):
        desk.submit(CAPACITY, actor="test")
    with desk.toolbox.session() as session:
        [exception_id] = session.exec(select(m.ExceptionRecord.id)).all()
    assert audit_kinds(desk, exception_id) == ["exception.received"]  # taken in, and nothing of the run
    monkeypatch.undo()
    decision = desk.wait_for_decision(exception_id)
    assert decision.status == "executed"
    kinds = audit_kinds(desk, exception_id)
    assert kinds.count("exception.classified") == kinds.count("specialist.proposed") == 1
    assert kinds.count("decision.final") == 1


def test_a_queued_exception_whose_try_kept_its_claim_is_taken_over_by_the_same_jobs_next_try(desk):
    with desk.toolbox.session() as session:
        taken = intake.take_in(session, ExceptionIn.model_validate(CASES[0][0]), "test", None, 60, 24, claimed=False)
        intake.claim_exception(session, taken.exception_id, 60, "job-7")  # the try failed with its database away
        session.commit()
    assert desk.decide_queued(taken.exception_id, job="job-8") is None, "another job waits for the lease"
    decision = desk.decide_queued(taken.exception_id, job="job-7")
    assert decision is not None and decision.exception_id == taken.exception_id
    assert audit_kinds(desk, taken.exception_id).count("decision.final") == 1
