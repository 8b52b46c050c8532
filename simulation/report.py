"""How a simulation reads: the per-day KPI table, the policies side by side, and a chart of the daily KPIs."""

from pathlib import Path

from rich.console import Console
from rich.table import Table

from agents import attribution
from simulation.run import Comparison, SimulationRun

CHARTED = (
    ("on_time", "on-time deliveries"),
    ("late", "late deliveries"),
    ("stockout_days", "stockout days"),
    ("downtime_hours", "truck downtime (h)"),
    ("cost_usd", "logistics cost (USD)"),
)


def day_table(run: SimulationRun) -> Table:
    """One row per simulated day."""
    table = Table(title=f"{run.policy}: seed {run.seed}, {len(run.days)} days")
    for column in (
        "day",
        "on time",
        "late",
        "stockout days",
        "downtime h",
        "broken down h",
        "cost USD",
        "exceptions",
        "decisions",
        "outcomes",
    ):
        table.add_column(column, justify="left" if column in ("day", "decisions", "outcomes") else "right")
    for day in run.days:
        table.add_row(
            day.day.isoformat(),
            str(day.on_time),
            str(day.late),
            str(day.stockout_days),
            f"{day.downtime_hours:g}",
            f"{day.unplanned_downtime_hours:g}",
            f"{day.cost_usd:,.0f}",
            str(day.exceptions),
            ", ".join(f"{k} {v}" for k, v in day.decisions.items()) or "-",
            ", ".join(f"{k} {v}" for k, v in day.outcomes.items()) or "-",
        )
    return table


def comparison_table(runs: list[SimulationRun]) -> Table:
    """The runs' totals side by side."""
    table = Table(title=f"{len(runs[0].days)} days on seed {runs[0].seed}")
    table.add_column("KPI")
    for run in runs:
        table.add_column(run.policy, justify="right")
    for name in runs[0].totals:
        values = [run.totals[name] for run in runs]
        table.add_row(
            name, *(f"{v:.1%}" if name == "on_time_rate" else f"{v:,.2f}".removesuffix(".00") for v in values)
        )
    table.add_row(
        "decisions", *(", ".join(f"{k} {v}" for k, v in run.days[-1].decisions.items()) or "-" for run in runs)
    )
    table.add_row("outcomes", *(", ".join(f"{k} {v}" for k, v in run.days[-1].outcomes.items()) or "-" for run in runs))
    table.add_row(
        "ran or decided twice",
        *(
            "none"
            if run.repeats.clean
            else str(
                len(run.repeats.actions_run_twice)
                + len(run.repeats.exceptions_decided_twice)
                + len(run.repeats.subjects_acted_on_twice)
            )
            for run in runs
        ),
    )
    table.add_row("wall time (s)", *(f"{run.wall_seconds:g}" for run in runs))
    return table


def attribution_table(runs: list[SimulationRun]) -> Table:
    """Each policy's action types: how often they ran, what they cost, what their decisions expected to save and
    what they saved against `none`."""
    table = Table(title=f"What each action type cost, was expected to save and saved against none, seed {runs[0].seed}")
    numbers = ("count", "spend USD", "expected saving USD", "realised saving USD")
    for column in ("policy", "action", "domain", *numbers):
        table.add_column(column, justify="right" if column in numbers else "left")
    for run in runs:
        for row in run.attribution:
            table.add_row(
                run.policy,
                row.action_type,
                row.domain,
                str(row.count),
                f"{row.spend_usd:,.0f}",
                f"{row.expected_saving_usd:,.0f}",
                "-" if row.realised_saving_usd is None else f"{row.realised_saving_usd:,.0f}",
            )
    return table


def rows_table(title: str, headers: list[str], rows: list[list[str]]) -> Table:
    """A table of ready-made text rows (cells fold, never cut)."""
    table = Table(title=title)
    for header in headers:
        table.add_column(header, overflow="fold")
    for row in rows:
        table.add_row(*row)
    return table


def effects_tables(run: SimulationRun) -> list[Table]:
    """A cohort run's attribution: the effects per trigger and action type, and the rollout over the cohorts."""
    if run.effects is None:
        return []
    report = run.effects
    return [
        rows_table(
            f"{run.policy}, seed {run.seed}: {attribution.title(report)}",
            attribution.EFFECT_HEADERS,
            attribution.effect_rows(report),
        ),
        rows_table(
            f"{run.policy}, seed {run.seed}: the rollout, every unit on the desk against every unit in shadow",
            attribution.ROLLOUT_HEADERS,
            attribution.rollout_rows(report),
        ),
    ]


def seeds_table(comparison: Comparison) -> Table:
    """Each KPI's mean per policy over the seeds, and the desk less each baseline with its 95% interval."""
    seeds = ", ".join(map(str, comparison.seeds))
    table = Table(title=f"Means over seeds {seeds}; desk less baseline, paired by seed, with 95% intervals")
    table.add_column("KPI")
    policies = list(next(iter(comparison.kpis.values())))
    for policy in policies:
        table.add_column(policy, justify="right")
    for label in comparison.differences:
        table.add_column(label, justify="right")
    for name, by_policy in comparison.kpis.items():
        differences = [comparison.differences[label][name] for label in comparison.differences]
        table.add_row(
            name,
            *(f"{by_policy[policy].mean:,.1f}" for policy in policies),
            *(f"{d.mean:+,.1f} [{d.low:+,.1f}, {d.high:+,.1f}]" for d in differences),
        )
    return table


def write_chart(runs: list[SimulationRun], path: Path) -> None:
    """A PNG of the daily KPIs, one panel per KPI and one line per policy."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    figure, axes = plt.subplots(len(CHARTED), 1, figsize=(9, 2.2 * len(CHARTED)), sharex=True)
    for axis, (field, label) in zip(axes, CHARTED, strict=True):
        for run in runs:
            axis.plot([d.day for d in run.days], [getattr(d, field) for d in run.days], marker="o", label=run.policy)
        axis.set_ylabel(label, fontsize=8)
        axis.grid(alpha=0.3)
    axes[0].legend(loc="upper right", fontsize=8)
    axes[0].set_title(f"Daily KPIs, seed {runs[0].seed}")
    figure.autofmt_xdate()
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)


def print_report(out: Console, runs: list[SimulationRun], comparison: Comparison, seeds: list[int]) -> None:
    """Each seed's tables (its days too when there is one seed), the intervals over seeds, and each run's cohorts,
    trade-offs, repeated actions and soundness violations."""
    for number in seeds:
        shown = [run for run in runs if run.seed == number]
        if len(seeds) == 1:
            for run in shown:
                out.print(day_table(run))
        out.print(comparison_table(shown))
        out.print(attribution_table(shown))
        for run in shown:
            for table in effects_tables(run):
                out.print(table)
    if len(seeds) > 1:
        out.print(seeds_table(comparison))
    for run in runs:
        if run.cohorts:
            levels = ", ".join(f"{c.cohort}={c.level}" for c in run.cohorts)
            out.print(f"{run.policy}, seed {run.seed}: cohorts {levels}; {run.shadowed} decisions shadowed")
        if run.tradeoffs:
            out.print(f"{run.policy}, seed {run.seed}: trade-off {', '.join(map(str, run.tradeoffs))}")
        if not run.repeats.clean:
            out.print(f"{run.policy}, seed {run.seed}: ran or decided twice: {run.repeats.model_dump()}")
        if run.soundness is not None:
            audit = run.soundness
            out.print(
                f"{run.policy}, seed {run.seed}: {len(audit.violations)} soundness violations over "
                f"{audit.decisions} decisions" + "".join(f"\n  {problem}" for problem in audit.violations[:10])
            )
