"""The chat suite on the seeded reference network: every gate holds on the held-out part, both parts reported."""

import pytest

from agents.schemas import ExceptionIn, Refs
from evals.chat.suite import GATES, ROLES, _rest_allows, evaluate_chat
from tests.agents.monitoring_fixtures import governance_pending


@pytest.mark.slow
def test_the_chat_suite_meets_every_gate(harness):
    report = evaluate_chat(harness)
    failing = {
        metric.name: [(f.case_id, f.detail) for f in metric.failures] for metric in report.metrics if not metric.ok
    }
    names = {metric.name for metric in report.metrics}
    assert report.cases >= 300
    assert {f"held_out.{gate}" for gate in GATES if gate != "intent_accuracy_cross_validated"} <= names
    assert {"build.intent_accuracy", "build.slot_f1", "build.intent_accuracy_cross_validated"} <= names
    assert all(metric.gate is None for metric in report.metrics if metric.name.startswith("build."))
    assert report.ok, failing


def test_the_rest_rule_an_act_is_scored_against_follows_the_decision_named(desk):
    governing = governance_pending(desk, "miscal000013").decision_id
    ordinary = desk.submit(
        ExceptionIn(description="Truck 7 is overheating and losing oil pressure", refs=Refs(asset_id="TRK-007")), "t"
    ).decision_id

    def allowed(act: str, decision_id: str | None) -> set[str]:
        return {role for role in ROLES if _rest_allows(desk, act, role, decision_id)}

    assert allowed("approve", governing) == allowed("override", governing) == {"architect", "admin"}
    assert allowed("reject", ordinary) == {"planner", "admin"}
    assert allowed("approve", "DEC-303A6AA0CF8D") == allowed("reject", None) == {"planner", "architect", "admin"}
    assert allowed("report", None) == {"integrator", "planner", "admin"}
