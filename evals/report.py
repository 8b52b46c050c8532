"""The eval report: metrics against their gates, per-case failures with the offending claims, run time; as a
console table, Markdown and JSON."""

import statistics
from datetime import datetime
from pathlib import Path

from pydantic import BaseModel, computed_field
from rich.table import Table

from evals.cases import DATASET_VERSION, SEED
from evals.metrics import CaseRun, MetricResult


class SlowCase(BaseModel):
    """A case and the seconds it took (its counterfactual and calibration runs included)."""

    case_id: str
    seconds: float


class EvalReport(BaseModel):
    """One eval run: what ran, how long it took, every metric and whether the gates hold."""

    started_at: datetime
    suites: list[str]
    dataset_version: int = DATASET_VERSION
    seed: int = SEED
    llm: str
    cases: int
    errors: int
    seconds: float
    median_case_seconds: float
    slowest: list[SlowCase]
    metrics: list[MetricResult]

    @computed_field
    @property
    def ok(self) -> bool:
        """Whether every gate holds."""
        return all(metric.ok for metric in self.metrics)


def build_report(
    runs: list[CaseRun], metrics: list[MetricResult], suites: list[str], llm: str, started_at: datetime, seconds: float
) -> EvalReport:
    """The report of a finished run."""
    slowest = sorted(runs, key=lambda run: -run.seconds)[:5]
    return EvalReport(
        started_at=started_at,
        suites=suites,
        llm=llm,
        cases=len(runs),
        errors=sum(run.error is not None for run in runs),
        seconds=round(seconds, 1),
        median_case_seconds=round(statistics.median(run.seconds for run in runs), 3) if runs else 0.0,
        slowest=[SlowCase(case_id=run.case.id, seconds=run.seconds) for run in slowest],
        metrics=metrics,
    )


def _gate(metric: MetricResult) -> str:
    """The gate as written in tables: `>= 95%`, or `report` for an ungated metric."""
    return "report" if metric.gate is None else f">= {metric.gate:.0%}"


def _verdict(metric: MetricResult) -> str:
    """PASS, FAIL, or - for an ungated metric."""
    if metric.gate is None:
        return "-"
    return "PASS" if metric.ok else "FAIL"


def table(report: EvalReport) -> Table:
    """The metrics against their gates, for the console."""
    title = f"{report.cases} cases in {report.seconds:.0f} s ({report.llm} LLM): {'PASS' if report.ok else 'FAIL'}"
    grid = Table(title=title)
    for column in ("metric", "value", "passed", "gate", "result"):
        grid.add_column(column, justify="left" if column == "metric" else "right")
    for metric in report.metrics:
        grid.add_row(
            metric.name, f"{metric.value:.1%}", f"{metric.passed}/{metric.total}", _gate(metric), _verdict(metric)
        )
    return grid


def _cell(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return text.replace("|", "\\|").replace("\n", " ")


def to_markdown(report: EvalReport) -> str:
    """The report as Markdown: summary, metric table, extras, then every failure with its offending claim."""
    lines = [
        "# Yardmaster offline eval",
        "",
        f"- Started {report.started_at:%Y-%m-%d %H:%M:%S} UTC; suites: {', '.join(report.suites)}",
        f"- Data sets version {report.dataset_version} on the reference network of seed {report.seed}; "
        f"LLM: {report.llm}",
        f"- {report.cases} cases ({report.errors} raised) in {report.seconds:.1f} s; median "
        f"{report.median_case_seconds:.2f} s per case; slowest: "
        + ", ".join(f"{slow.case_id} {slow.seconds:.1f} s" for slow in report.slowest),
        f"- Result: **{'PASS' if report.ok else 'FAIL'}**",
        "",
        "| metric | value | passed | gate | result |",
        "|---|---:|---:|---:|:---:|",
    ]
    lines += [
        f"| {metric.name} | {metric.value:.1%} | {metric.passed}/{metric.total} | {_gate(metric)} | "
        f"{_verdict(metric)} |"
        for metric in report.metrics
    ]
    for metric in report.metrics:
        if metric.extra:
            lines += ["", f"{metric.name}: " + ", ".join(f"{key} {value}" for key, value in metric.extra.items())]
    lines += by_action_type(report.metrics)
    for metric in report.metrics:
        if not metric.failures:
            continue
        lines += [
            "",
            f"## {metric.name}: {len(metric.failures)} failing",
            "",
            "| case | problem | claim |",
            "|---|---|---|",
        ]
        lines += [
            f"| {failure.case_id} | {_cell(failure.detail)} | {_cell(failure.claim or '')} |"
            for failure in metric.failures
        ]
    return "\n".join(lines) + "\n"


def by_action_type(metrics: list[MetricResult]) -> list[str]:
    """Markdown lines of the case metrics broken down by the action types the cases' decisions propose: passed of
    total per type and metric (none when no metric has a breakdown)."""
    broken = [metric for metric in metrics if metric.by_action_type]
    kinds = sorted({kind for metric in broken for kind in metric.by_action_type})
    if not kinds:
        return []
    lines = [
        "",
        "## Pass rate by action type",
        "",
        "| action type | " + " | ".join(metric.name for metric in broken) + " |",
        "|---|" + "---:|" * len(broken),
    ]
    for kind in kinds:
        shares = [metric.by_action_type.get(kind) for metric in broken]
        cells = [f"{share.value:.1%} ({share.passed}/{share.total})" if share else "-" for share in shares]
        lines.append(f"| {kind} | " + " | ".join(cells) + " |")
    return lines


def write(report: EvalReport, markdown_path: Path) -> Path:
    """Write the Markdown report and, beside it with a .json suffix, the JSON report; returns the JSON path."""
    markdown_path.parent.mkdir(parents=True, exist_ok=True)
    markdown_path.write_text(to_markdown(report))
    json_path = markdown_path.with_suffix(".json")
    json_path.write_text(report.model_dump_json(indent=2))
    return json_path
