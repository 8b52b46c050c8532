"""`yardmaster rates`: the cost model's rates in force, and edits that add a version."""

import json

import typer
from rich.console import Console

rates_app = typer.Typer(help="Cost model rates: list, set.", no_args_is_help=True)
console = Console(stderr=True)


@rates_app.command("list")
def list_rates(as_json: bool = typer.Option(False, "--json", help="Print one JSON array.")) -> None:
    """The rates in force: key, value, unit, version and source (tab-separated when piped)."""
    from cli.tables import print_table
    from twin import rates
    from twin.db import make_engine, migrate, session_scope
    from twin.settings import get_settings

    engine = make_engine(get_settings().resolved_database_url)
    migrate(engine)
    with session_scope(engine) as session:
        rows = [
            {
                "key": r.key,
                "value": r.value,
                "unit": r.unit,
                "version": r.version,
                "source": r.source,
                "updated_by": r.updated_by,
            }
            for r in rates.in_force(session)
        ]
    engine.dispose()
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    print_table(
        ["key", "value", "unit", "version", "source"],
        [[row["key"], f"{row['value']:g}", row["unit"], row["version"], row["source"]] for row in rows],
    )


@rates_app.command("set")
def set_rate(
    key: str = typer.Argument(..., help="The rate's key, e.g. late_penalty_usd_gold."),
    value: float = typer.Argument(..., help="The new value, in the rate's unit (not negative)."),
    source: str = typer.Option(..., "--source", help="Where the new figure comes from."),
    actor: str = typer.Option("cli", "--actor", help="Who changes it (recorded)."),
) -> None:
    """Put a new value of a rate in force as its next version; earlier versions are kept."""
    from twin import rates
    from twin.db import make_engine, migrate, session_scope
    from twin.settings import get_settings

    engine = make_engine(get_settings().resolved_database_url)
    migrate(engine)
    try:
        with session_scope(engine) as session:
            row = rates.set_rate(session, key, value, source, actor)
            version = row.version
    except (KeyError, ValueError) as error:
        console.print(f"error: {error.args[0]}")
        raise typer.Exit(2) from error
    finally:
        engine.dispose()
    console.print(f"{key} = {value:g} (version {version})")
