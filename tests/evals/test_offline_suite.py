"""The whole offline eval suite on the seeded reference network: every gate must hold."""

import pytest

from evals.metrics import GATES
from evals.runner import evaluate_suites


@pytest.mark.slow
def test_the_offline_suite_meets_every_gate(harness):
    report = evaluate_suites(harness)
    failing = {
        metric.name: [(f.case_id, f.detail, f.claim) for f in metric.failures]
        for metric in report.metrics
        if not metric.ok
    }
    assert report.cases >= 150
    assert {metric.name for metric in report.metrics if metric.gate is not None} == set(GATES)
    assert report.errors == 0, [metric.failures for metric in report.metrics if metric.name == "routing_accuracy"]
    assert report.ok, failing
