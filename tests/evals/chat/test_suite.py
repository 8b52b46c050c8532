"""The chat suite on the seeded reference network: every gate holds on the held-out part, both parts reported."""

import pytest

from evals.chat.suite import GATES, evaluate_chat


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
