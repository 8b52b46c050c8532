"""Tests of the eval report: summary, table, Markdown with the offending claims, and the JSON beside it."""

import json
from datetime import UTC, datetime

from rich.console import Console

from agents.schemas import ExceptionIn
from evals.cases import Case, Expect
from evals.metrics import CaseRun, Failure, MetricResult, TypeShare
from evals.report import build_report, by_action_type, table, to_markdown, write

CASE = Case(
    id="late-1",
    version=1,
    category="routine",
    note="n",
    exception=ExceptionIn(type="late_shipment"),
    expect=Expect(specialist="routing", status=["no_action"]),
)
FAITHFULNESS = MetricResult(
    name="faithfulness",
    value=0.5,
    passed=1,
    total=2,
    gate=1.0,
    failures=[Failure(case_id="late-1", detail="not in the cited evidence: 0.93", claim="P(late) | 0.93")],
)
READABILITY = MetricResult(name="readability", value=1.0, passed=2, total=2, extra={"mean_grade": 7.5})


def report():
    """A report of two runs with one failing gate."""
    runs = [CaseRun(case=CASE, seconds=1.5), CaseRun(case=CASE, error="ValueError: x", seconds=0.5)]
    return build_report(
        runs, [FAITHFULNESS, READABILITY], ["late_shipments"], "offline", datetime(2026, 11, 2, tzinfo=UTC), 2.04
    )


def test_the_report_fails_when_a_gate_fails_and_counts_errors_and_times():
    made = report()
    assert not made.ok
    assert (made.cases, made.errors, made.median_case_seconds, made.seconds) == (2, 1, 1.0, 2.0)
    assert made.slowest[0].case_id == "late-1" and made.slowest[0].seconds == 1.5


def test_the_markdown_lists_metrics_extras_and_failures_with_their_claims():
    text = to_markdown(report())
    assert "| faithfulness | 50.0% | 1/2 | >= 100% | FAIL |" in text
    assert "| readability | 100.0% | 2/2 | report | - |" in text
    assert "readability: mean_grade 7.5" in text
    assert "| late-1 | not in the cited evidence: 0.93 | P(late) \\| 0.93 |" in text
    assert "Result: **FAIL**" in text


def test_write_puts_the_json_beside_the_markdown(tmp_path):
    json_path = write(report(), tmp_path / "out" / "eval.md")
    assert (tmp_path / "out" / "eval.md").read_text().startswith("# Yardmaster offline eval")
    stored = json.loads(json_path.read_text())
    assert json_path.name == "eval.json"
    assert stored["ok"] is False and stored["metrics"][0]["ok"] is False


def test_the_table_shows_each_metric_against_its_gate():
    console = Console(record=True, width=120)
    console.print(table(report()))
    text = console.export_text()
    assert "faithfulness" in text and "FAIL" in text and "2 cases" in text


def test_the_markdown_breaks_case_metrics_down_by_action_type():
    soundness = MetricResult(
        name="soundness",
        value=0.75,
        passed=3,
        total=4,
        gate=1.0,
        by_action_type={
            "transfer_stock": TypeShare(value=0.5, passed=1, total=2),
            "notify_customer": TypeShare(value=1.0, passed=2, total=2),
        },
    )
    validity = MetricResult(
        name="action_validity",
        value=1.0,
        passed=4,
        total=4,
        gate=1.0,
        by_action_type={"notify_customer": TypeShare(value=1.0, passed=2, total=2)},
    )
    assert by_action_type([FAITHFULNESS, soundness, validity]) == [
        "",
        "## Pass rate by action type",
        "",
        "| action type | soundness | action_validity |",
        "|---|---:|---:|",
        "| notify_customer | 100.0% (2/2) | 100.0% (2/2) |",
        "| transfer_stock | 50.0% (1/2) | - |",
    ]
    assert by_action_type([FAITHFULNESS]) == []
    assert "| transfer_stock | - | 50.0% (1/2) |" in to_markdown(
        report().model_copy(update={"metrics": [validity, soundness]})
    )
