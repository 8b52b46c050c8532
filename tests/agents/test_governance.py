"""The governance specialist by cause: a model whose performance fell goes back to a previous version that did
better; without one, its retraining is recommended and its dependent action types that act are set to recommend;
every change waits for an architect; a healthy model needs nothing."""

from agents import detectors
from agents.model_versions import monitoring_history
from agents.policy import rules
from agents.schemas import ExceptionIn, ExceptionType, Refs
from graph.state import Verdict
from tests.agents.monitoring_fixtures import LATE, miscalibrated_copy, put_in_force, trained_version
from twin import models as m

FLAGGED = ExceptionIn(type=ExceptionType.model_drift, refs=Refs(model=LATE), source="detector")


def test_a_fallen_model_goes_back_to_the_previous_version_that_did_better(desk):
    good = trained_version(desk)
    put_in_force(desk, good)
    assert detectors.drifted_models(desk.toolbox) == []  # the good version is measured within every limit
    bad = miscalibrated_copy(desk, "miscal000002")
    put_in_force(desk, good, bad)

    decision = desk.submit(FLAGGED, actor="detector")
    assert (decision.specialist, decision.status) == ("governance", "pending_approval")
    [action] = decision.actions
    assert (action.type, action.params.from_version, action.params.to_version) == ("rollback_model", bad, good)
    assert any("calibration error" in claim.text for claim in decision.justification.claims)
    assert any("architect's approval" in reason for reason in decision.policy.reasons)


def test_without_a_better_version_retraining_is_recommended_and_dependent_actions_stop_acting(desk):
    bad = miscalibrated_copy(desk, "miscal000003")
    put_in_force(desk, bad)

    decision = desk.submit(FLAGGED, actor="detector")
    assert decision.status == "pending_approval"
    retrain, lower = decision.actions
    assert (retrain.type, retrain.params.version) == ("recommend_retraining", bad)
    assert any("calibration error" in reason for reason in retrain.params.reasons)
    assert (lower.type, lower.params.action_types) == ("lower_autonomy", ["expedite_shipment", "notify_customer"])
    assert [a.name for a in decision.alternatives] == ["roll back to the previous version"]

    done = desk.resume(decision.decision_id, Verdict(verdict="approve", actor="architect-1"))
    assert done.status == "executed"
    with desk.toolbox.session() as session:
        levels = {(rule.action_type, rule.cohort): rule.level for rule in rules(session)}
        updates = session.exec(
            m.AuditEvent.__table__.select().where(m.AuditEvent.kind == "policy_updated")  # type: ignore[attr-defined]
        ).all()
        history = monitoring_history(session, desk.settings.models_dir, LATE)
    assert levels[("expedite_shipment", "*")] == levels[("notify_customer", "*")] == "recommend"
    assert levels[("switch_carrier", "*")] == "recommend"
    assert {row.detail["action_type"] for row in updates} == {"expedite_shipment", "notify_customer"}
    assert all(row.detail["before"]["level"] == "act" and row.detail["after"]["autonomy_level"] == 2 for row in updates)
    [recommended] = history.retraining
    assert (recommended.version, recommended.decision_id) == (bad, decision.decision_id)


def test_a_previous_version_found_wanting_is_not_rolled_back_to(desk):
    first = miscalibrated_copy(desk, "miscal000004")
    put_in_force(desk, first)
    assert detectors.drifted_models(desk.toolbox)  # measured, and found wanting
    second = miscalibrated_copy(desk, "miscal000005", intercept=3.5)
    put_in_force(desk, first, second)

    decision = desk.submit(FLAGGED, actor="detector")
    assert [action.type for action in decision.actions] == ["recommend_retraining", "lower_autonomy"]
    assert decision.alternatives[0].why_not == f"the version before, {first}, was not measured within every limit"


def test_a_healthy_model_needs_nothing(desk):
    put_in_force(desk, trained_version(desk))
    decision = desk.submit(FLAGGED, actor="detector")
    assert (decision.specialist, decision.status, decision.actions) == ("governance", "no_action", [])
