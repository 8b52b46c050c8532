"""`yardmaster attribution`: per trigger and action type, what the desk did and its KPI effects with 95% intervals,
against the shadow cohort and the baseline period (`agents/attribution.py`), in tables or as JSON."""

from datetime import datetime
from typing import TYPE_CHECKING

import typer
from rich.console import Console

if TYPE_CHECKING:
    from agents.attribution import AttributionReport

console = Console(stderr=True)
DAY = ["%Y-%m-%d"]


def print_report(report: "AttributionReport") -> None:
    """The effects per trigger and action type, then the rollout over the cohorts; with no day measured yet, the
    decisions alone and why there is no effect yet."""
    from agents.attribution import (
        DECISION_HEADERS,
        EFFECT_HEADERS,
        ROLLOUT_HEADERS,
        decision_rows,
        effect_rows,
        rollout_rows,
        title,
    )
    from cli.tables import print_table

    if not report.periods.measured.days:
        print_table(DECISION_HEADERS, [row for _action, row in decision_rows(report)], title=title(report))
        typer.echo(
            f"No KPI effect yet: no day has ended on the twin since the desk went live on {report.periods.went_live}."
        )
        return
    print_table(
        EFFECT_HEADERS,
        effect_rows(report),
        title=title(report),
        empty=f"No decision between {report.periods.measured.start} and {report.periods.measured.end}: nothing to "
        "attribute yet.",
    )
    print_table(
        ROLLOUT_HEADERS,
        rollout_rows(report),
        title="Rollout: every unit on the desk against every unit in shadow",
        empty="No rollout to compare: no cohort is in shadow under the rules in force.",
    )


def attribution(
    start: datetime = typer.Option(
        None, "--from", formats=DAY, help="First day measured (default: the day of the desk's first decision)."
    ),
    end: datetime = typer.Option(
        None, "--to", formats=DAY, help="Last day measured (default: the day before the twin's clock)."
    ),
    site: str = typer.Option(None, "--site", help="Only this DC, e.g. DC-DAL."),
    lane: str = typer.Option(None, "--lane", help="Only this lane, e.g. DAL-HOU."),
    carrier: str = typer.Option(None, "--carrier", help="Only this carrier."),
    baseline_days: int = typer.Option(
        None, "--baseline-days", min=1, max=365, help="Days of baseline before the desk went live."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the whole report as JSON."),
) -> None:
    """What the desk changed: for each trigger and action type, how often it fired, what was done, the outcomes,
    and the KPI effects with 95% bootstrap intervals against the shadow cohort and the baseline period."""
    from agents.attribution import report as attributed
    from twin.db import make_engine, migrate, session_scope
    from twin.kpis import BadFilter
    from twin.settings import get_settings

    engine = make_engine(get_settings().resolved_database_url)
    migrate(engine)
    try:
        with session_scope(engine) as session:
            found = attributed(session, start and start.date(), end and end.date(), site, lane, carrier, baseline_days)
    except BadFilter as error:
        console.print(f"error: --{error.field}: {error.message}")
        raise typer.Exit(2) from error
    finally:
        engine.dispose()
    if as_json:
        typer.echo(found.model_dump_json(indent=2))
        return
    print_report(found)
