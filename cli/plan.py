"""`yardmaster plan` and `yardmaster tradeoff`: the plans the desk would make now, and the architect's trade-off."""

import json
from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING

import typer
from rich.console import Console

if TYPE_CHECKING:
    from agents.proposal import Proposal
    from agents.schemas import Impact
    from agents.toolbox import Toolbox

plan_app = typer.Typer(
    help="Plans the desk makes ahead of exceptions: tenders, maintenance, positioning.", no_args_is_help=True
)
tradeoff_app = typer.Typer(help="The trade-off between freight, lateness and CO2: list, set.", no_args_is_help=True)
console = Console(stderr=True)


def _open(day: str | None) -> tuple["Toolbox", date]:
    """The desk's toolbox and the day asked for (the twin's current day by default); a bad --day exits with 2."""
    from agents.toolbox import open_toolbox
    from cli.main import database
    from twin.settings import get_settings

    try:
        planned = date.fromisoformat(day) if day else None
    except ValueError:
        console.print(f"error: --day: {day!r} is not a date like 2026-11-03")
        raise typer.Exit(2) from None
    toolbox = open_toolbox(get_settings(), database())
    return toolbox, planned or toolbox.now().date()


def _print_claims(proposal: "Proposal") -> None:
    """A plan's sentences, one a line."""
    for claim in [*proposal.findings, proposal.chosen]:
        if claim is not None:
            typer.echo(claim.text)


def _print_totals(proposal: "Proposal", figures: dict[str, Callable[["Impact"], str]], title: str) -> None:
    """The chosen plan and each alternative with the `figures` columns, its expected total and why it lost."""
    from cli.tables import print_table

    plans = [
        ("chosen", proposal.expected_impact, ""),
        *((a.name, a.expected_impact, a.why_not) for a in proposal.alternatives),
    ]
    print_table(
        ["plan", *figures, "expected total USD", "why not"],
        [
            [name, *(figure(impact) for figure in figures.values()), f"{impact.expected_total_usd or 0:,.2f}", why]
            for name, impact, why in plans
        ],
        title=title,
    )


def _extra(name: str, form: str) -> Callable[["Impact"], str]:
    """A column of a figure an impact carries beside its declared fields (0 when absent)."""
    return lambda impact: format(impact.model_dump().get(name) or 0, form)


@plan_app.command("tenders")
def tenders(
    day: str = typer.Option(None, "--day", help="The day to plan (YYYY-MM-DD); the twin's current day by default."),
    as_json: bool = typer.Option(False, "--json", help="Print the plan as JSON."),
) -> None:
    """The tender plan for a day's new carrier shipments, its objective and the alternatives it beat; nothing is
    executed (send a `tender_plan` exception to `yardmaster handle` or the API for that)."""
    from agents import tender_plan
    from cli.tables import print_table
    from twin.actions import PlanTenders

    toolbox, planned = _open(day)
    proposal = tender_plan.plan_day(toolbox, planned)
    if as_json:
        typer.echo(proposal.model_dump_json(indent=2))
        return
    _print_claims(proposal)
    for action in proposal.actions:
        if isinstance(action, PlanTenders):
            print_table(
                ["lane", "tier", "carrier", "expected loads"],
                [[x.lane, x.tier, x.carrier, f"{x.loads:g}"] for x in action.params.allocations],
                title=f"Tender plan for {planned}",
            )
    _print_totals(
        proposal,
        {"freight USD": _extra("freight_usd", ",.2f"), "expected late loads": _extra("expected_late_loads", "g")},
        "Totals (expected total: freight above the cheapest tender, plus weighted lateness and CO2)",
    )


@plan_app.command("maintenance")
def maintenance(
    day: str = typer.Option(
        None, "--day", help="The week's first day (YYYY-MM-DD); the twin's current day by default."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the plan as JSON."),
) -> None:
    """The week's workshop visits for every DC's trucks at risk, why each truck is booked or left on the road, and
    the plan against no action; nothing is executed (send a `maintenance_plan` exception for that)."""
    from agents import maintenance_plan
    from cli.tables import print_table
    from twin.actions import ScheduleMaintenance

    toolbox, planned = _open(day)
    proposal = maintenance_plan.plan_week(toolbox, planned)
    if as_json:
        typer.echo(proposal.model_dump_json(indent=2))
        return
    _print_claims(proposal)
    visits = [action.params for action in proposal.actions if isinstance(action, ScheduleMaintenance)]
    if visits:
        print_table(
            ["truck", "dc", "date", "service", "hours", "cost USD", "safety-critical"],
            [
                [
                    v.truck,
                    v.dc or "",
                    str(v.date),
                    v.service or "",
                    f"{v.service_hours or 0:g}",
                    f"{v.cost_usd or 0:,.2f}",
                    "yes" if v.safety_critical else "no",
                ]
                for v in visits
            ],
            title=f"Workshop visits for the week of {planned}",
        )
    _print_totals(
        proposal,
        {"cost USD": lambda impact: f"{impact.cost_usd:,.2f}", "expected failures": _extra("expected_failures", "g")},
        "Totals (expected total: visits plus expected breakdowns and lost deliveries)",
    )


@plan_app.command("positioning")
def positioning(
    day: str = typer.Option(None, "--day", help="The day to plan (YYYY-MM-DD); the twin's current day by default."),
    as_json: bool = typer.Option(False, "--json", help="Print the plan as JSON."),
) -> None:
    """The day's stock positioning: transfers of the fast-selling SKUs and reorder points that follow the forecast,
    each with its expected lost sales avoided against its cost, and the plan against the alternatives it beat; nothing
    is executed (send a `positioning_plan` exception for that)."""
    from agents import positioning_plan
    from cli.tables import print_table
    from twin.actions import SetReorderPoint, TransferStock

    toolbox, planned = _open(day)
    proposal = positioning_plan.plan_positions(toolbox, planned)
    if as_json:
        typer.echo(proposal.model_dump_json(indent=2))
        return
    _print_claims(proposal)
    moves = [action.params for action in proposal.actions if isinstance(action, TransferStock)]
    if moves:
        print_table(
            ["sku", "from", "to", "units", "lands in days", "cost USD"],
            [[m.sku, m.from_, m.to, f"{m.qty:g}", str(m.lead_days), f"{m.cost_usd or 0:,.2f}"] for m in moves],
            title=f"Transfers for {planned}",
        )
    levels = [action.params for action in proposal.actions if isinstance(action, SetReorderPoint)]
    if levels:
        print_table(
            ["sku", "dc", "reorder point", "before", "holding USD"],
            [
                [p.sku, p.location, f"{p.reorder_point:g}", f"{p.before or 0:g}", f"{p.cost_usd or 0:,.2f}"]
                for p in levels
            ],
            title=f"Reorder points for {planned}",
        )
    _print_totals(
        proposal,
        {"cost USD": lambda impact: f"{impact.cost_usd:,.2f}", "expected lost units": _extra("units_at_risk", "g")},
        "Totals (expected total: transfers and holding plus expected lost sales)",
    )


@tradeoff_app.command("list")
def list_tradeoff(as_json: bool = typer.Option(False, "--json", help="Print one JSON array.")) -> None:
    """The trade-off in force per scope (none stored: every cost counts at face value)."""
    from cli.main import database
    from cli.tables import print_table
    from twin import tradeoff
    from twin.db import session_scope

    with session_scope(database()) as session:
        rows = [row.model_dump(mode="json", exclude={"id"}) for row in tradeoff.in_force(session)]
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    print_table(
        ["tier", "lane", "on_time", "co2", "version", "set_by", "reason"],
        [
            [r["tier"], r["lane"], f"{r['on_time']:g}", f"{r['co2']:g}", r["version"], r["set_by"], r["reason"]]
            for r in rows
        ],
    )


@tradeoff_app.command("set")
def set_tradeoff(
    on_time: float = typer.Option(..., "--on-time", help="Weight of expected late penalties against freight (0-10)."),
    reason: str = typer.Option(..., "--reason", help="Why the trade-off changes (recorded)."),
    co2: float = typer.Option(0.0, "--co2", help="Weight of CO2 at the carbon price against freight (0-10)."),
    tier: str = typer.Option("*", "--tier", help="gold, silver, standard or * for any."),
    lane: str = typer.Option("*", "--lane", help="A lane such as DAL-HOU, or * for any."),
    actor: str = typer.Option("cli", "--actor", help="Who changes it (recorded)."),
) -> None:
    """Put a trade-off in force for a scope as its next version; later plans use it, earlier decisions keep theirs."""
    from cli.main import database
    from twin import tradeoff
    from twin.db import session_scope

    try:
        with session_scope(database()) as session:
            row = tradeoff.set_tradeoff(session, tier, lane, on_time, co2, reason, actor)
            version = row.version
    except ValueError as error:
        field, _, message = str(error).partition(": ")
        console.print(f"error: --{field.replace('_', '-')}: {message}")
        raise typer.Exit(2) from None
    console.print(f"trade-off for tier {tier} on lane {lane} is now version {version}")
