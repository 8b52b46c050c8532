"""The gate node on the live desk: cohort precedence, shadow decisions that execute nothing, and off action types
after an accepted suggestion."""

from typing import Any

from sqlmodel import Session, col, func, select

from agents.policy import CohortLevel, save_rule
from agents.policy_learning import LearningSettings, answer, open_suggestions
from agents.schemas import ExceptionIn
from graph.desk import Desk, open_desk
from graph.state import Verdict
from tests.agents.test_policy_learning import plant_rejections
from twin import models as m
from twin.settings import Settings

SHIPMENT = "SHP-009284"  # lane LAX-HOU, from DC-LAX, with CAR-COASTAL
LATE = ExceptionIn(type="late_shipment", refs={"shipment_id": SHIPMENT})
CHANGED_BY_ACTIONS = (
    m.CarrierBooking,
    m.CustomerNotification,
    m.PurchaseOrder,
    m.RouteStop,
    m.TransferOrder,
    m.WorkOrder,
)


def _set(desk: Desk, *levels: str) -> None:
    """Store `PATTERN=LEVEL` rules for every action type over the defaults."""
    with desk.toolbox.session() as session:
        for text in levels:
            for rule in CohortLevel.parse(text).rules():
                save_rule(session, rule, "test")
        session.commit()


def _twin(session: Session) -> dict[str, Any]:
    """What an executed action changes: the shipment, stock positions, the rows actions add, the actions sent out (a
    shadow decision is still announced as a decision)."""
    counts = {
        table.__name__: session.exec(select(func.count()).select_from(table)).one() for table in CHANGED_BY_ACTIONS
    }
    positions = [
        row.model_dump() for row in session.exec(select(m.InventoryPosition).order_by(col(m.InventoryPosition.id)))
    ]
    sent = session.exec(select(m.OutboxMessage).where(col(m.OutboxMessage.event_type).startswith("action."))).all()
    return {
        "shipment": session.get(m.Shipment, SHIPMENT).model_dump(),
        "positions": positions,
        "sent": len(sent),
        **counts,
    }


def test_a_shadow_decision_records_what_it_would_have_done_and_changes_nothing(desk):
    _set(desk, "*=shadow")
    with desk.toolbox.session() as session:
        before = _twin(session)
    decision = desk.submit(LATE, actor="test")
    assert decision.status == "shadowed" and decision.actions
    assert decision.policy.level == "shadow" and decision.policy.would_have in ("executed", "pending_approval")
    assert not decision.policy.requires_approval
    with desk.toolbox.session() as session:
        assert _twin(session) == before
        recorded = session.exec(select(m.ActionRecord).where(m.ActionRecord.decision_id == decision.decision_id)).all()
        assert [(r.type, r.status) for r in recorded] == [(a.type, "shadowed") for a in decision.actions]
        assert session.get(m.DecisionRecord, decision.decision_id).status == "shadowed"
        assert session.get(m.ExceptionRecord, decision.exception_id).status == "closed"


def test_the_most_specific_cohort_decides_on_the_live_desk(desk_settings: Settings):
    with open_desk(desk_settings.model_copy(update={"duplicate_window_h": 0.0})) as desk:
        _set(desk, "*=act", "DAL-*=recommend", "LAX-*=shadow")  # the matching pattern before `*`
        assert desk.submit(LATE, actor="test").status == "shadowed"
        _set(desk, "DC-LAX=recommend")  # an exact site before a pattern
        asked = desk.submit(LATE.model_copy(update={"external_id": "site"}), actor="test")
        assert asked.status == "pending_approval" and asked.policy.level == "recommend"
        desk.resume(asked.decision_id, Verdict(verdict="reject", actor="planner", reason="checking precedence"))
        _set(desk, "CAR-COASTAL=act", "LAX-HOU=shadow")  # an exact lane before the exact site and carrier
        assert desk.submit(LATE.model_copy(update={"external_id": "lane"}), actor="test").status == "shadowed"


def test_an_accepted_suggestion_changes_the_gate_for_the_next_decision(desk_settings: Settings):
    settings = desk_settings.model_copy(update={"duplicate_window_h": 0.0})
    with open_desk(settings) as desk:
        _set(desk, "*=recommend")
        probe = desk.submit(LATE, actor="test")
        assert probe.status == "pending_approval"
        desk.resume(probe.decision_id, Verdict(verdict="reject", actor="planner", reason="not worth it"))
        proposed = probe.actions[0]
        with desk.toolbox.session() as session:
            plant_rejections(session, proposed, rejected=5, approved=0)
            limits = LearningSettings.of(settings)
            [suggestion] = [s for s in open_suggestions(session, limits) if s.action_type == proposed.type]
            assert (suggestion.cohort, suggestion.change, suggestion.evidence.rejected) == (
                "LAX-HOU",
                "stop_proposing",
                6,
            )
            answer(session, suggestion.id, "accepted", "architect", limits)
            session.commit()
        after = desk.submit(LATE.model_copy(update={"external_id": "after"}), actor="test")
    assert proposed.type not in [action.type for action in after.actions]
    assert any(f"{proposed.type} is off" in reason for reason in after.policy.reasons)
