"""`yardmaster policy`: policy changes suggested by people's verdicts on the desk's proposals; accept or decline."""

import json
from typing import Literal

import typer
from rich.console import Console

policy_app = typer.Typer(
    help="Policy suggestions mined from overrides (suggest, accept, decline) and recommended autonomy (recommend).",
    no_args_is_help=True,
)
console = Console(stderr=True)


@policy_app.command("suggest")
def suggest(as_json: bool = typer.Option(False, "--json", help="Print one JSON array.")) -> None:
    """Policy changes the window's rejections, overrides and approvals support, with their evidence (thresholds:
    YM_SUGGEST_WINDOW_DAYS, YM_SUGGEST_MIN_SUPPORT, YM_SUGGEST_MIN_REJECTION_RATE, YM_SUGGEST_MIN_APPROVAL_RATE)."""
    from agents.policy_learning import LearningSettings, open_suggestions
    from cli.main import database
    from cli.tables import print_table
    from twin.db import session_scope
    from twin.settings import get_settings

    with session_scope(database()) as session:
        found = open_suggestions(session, LearningSettings.of(get_settings()))
    if as_json:
        typer.echo(json.dumps([s.model_dump(mode="json") for s in found], indent=2))
        return
    print_table(
        ["id", "action type", "cohort", "change", "reviewed", "rejected", "evidence"],
        [
            [s.id, s.action_type, s.cohort, s.change, str(s.evidence.reviewed), str(s.evidence.rejected), s.summary]
            for s in found
        ],
    )


@policy_app.command("recommend")
def recommend(as_json: bool = typer.Option(False, "--json", help="Print one JSON array.")) -> None:
    """For each action type and cohort, the autonomy its measured quality supports beside the configured level, with
    the reasons (verdicts and outcomes in YM_SUGGEST_WINDOW_DAYS, the model's performance, the eval report)."""
    from agents.autonomy import eval_report, recommendations
    from agents.policy_learning import LearningSettings
    from cli.main import database
    from cli.tables import print_table
    from twin.db import session_scope
    from twin.settings import get_settings

    settings = get_settings()
    with session_scope(database()) as session:
        found = recommendations(session, LearningSettings.of(settings), eval_report(settings))
    if as_json:
        typer.echo(json.dumps([r.model_dump(mode="json") for r in found], indent=2))
        return
    print_table(
        ["action type", "cohort", "configured", "recommended", "reasons"],
        [
            [
                r.action_type,
                r.cohort,
                r.configured,
                r.recommended + ("" if r.change == "keep" else f" ({r.change})"),
                "; ".join(r.reasons),
            ]
            for r in found
        ],
        empty="No autonomy rule is stored yet: the desk stores its default rules the first time it starts.",
    )


def _answer(suggestion_id: str, verdict: Literal["accepted", "declined"], actor: str) -> None:
    """Accept or decline one open suggestion as an architect; exit 2 when no open suggestion has the id."""
    from agents.policy_learning import LearningSettings, UnknownSuggestion, answer
    from cli.main import database
    from twin.db import session_scope
    from twin.settings import get_settings

    try:
        with session_scope(database()) as session:
            done = answer(session, suggestion_id, verdict, actor, LearningSettings.of(get_settings()))
    except UnknownSuggestion:
        console.print(f"error: no open suggestion with id {suggestion_id!r}; see `yardmaster policy suggest`")
        raise typer.Exit(2) from None
    console.print(f"{verdict} {done.id}: {done.action_type} on {done.cohort} ({done.change})")


@policy_app.command("accept")
def accept(
    suggestion_id: str = typer.Argument(..., help="The suggestion's id (SUG-...)."),
    actor: str = typer.Option("cli", "--actor", help="Who accepts it (recorded)."),
) -> None:
    """Accept a suggestion: its proposed rule is stored; the change and the answer are audited."""
    _answer(suggestion_id, "accepted", actor)


@policy_app.command("decline")
def decline(
    suggestion_id: str = typer.Argument(..., help="The suggestion's id (SUG-...)."),
    actor: str = typer.Option("cli", "--actor", help="Who declines it (recorded)."),
) -> None:
    """Decline a suggestion: the rule stays; the answer is audited and the suggestion is not offered again."""
    _answer(suggestion_id, "declined", actor)
