"""The `yardmaster` command line."""

import importlib
import json

import typer
from rich.console import Console
from rich.progress import Progress

from api.cli_chat import chat
from api.cli_keys import keys_app
from twin import seed as scenario
from twin import store
from twin.db import make_engine, migrate, session_scope
from twin.settings import get_settings

app = typer.Typer(help="Yardmaster: an open exception desk for logistics.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
app.command()(chat)
console = Console(stderr=True)

BENCHMARKS = ("routing", "forecast", "maintenance", "late_risk")


def database():
    """The configured database engine, migrated to the latest schema."""
    engine = make_engine(get_settings().resolved_database_url)
    migrate(engine)
    return engine


@app.command()
def seed(
    seed: int = typer.Option(7, "--seed", help="Random seed of the reference network."),
    if_empty: bool = typer.Option(False, "--if-empty", help="Do nothing when a scenario is already loaded."),
) -> None:
    """Build the reference network with a year of daily history (replaces the loaded scenario)."""
    engine = database()
    with session_scope(engine) as session:
        if if_empty and store.meta(session):
            console.print("a scenario is already loaded; nothing to do")
            return
    stages = 9
    with Progress(console=console, transient=False) as progress:
        task = progress.add_task(f"seeding reference network (seed {seed})", total=stages)
        rows = scenario.generate(seed, lambda label: progress.update(task, advance=1, description=label))
        progress.update(task, description="writing to the database")
        scenario.load(engine, rows)
        progress.update(task, advance=1, description="done")
    with session_scope(engine) as session:
        typer.echo(json.dumps(store.summary(session), indent=2))


@app.command()
def serve(
    host: str = typer.Option(None, "--host", help="Interface to bind (default YM_HOST, 127.0.0.1)."),
    port: int = typer.Option(None, "--port", help="Port (default YM_PORT, 8000)."),
) -> None:
    """Start the HTTP API."""
    import uvicorn

    from api.app import create_app

    settings = get_settings()
    uvicorn.run(create_app(settings), host=host or settings.host, port=port or settings.port)


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def bench(ctx: typer.Context, name: str = typer.Argument(..., help=f"One of: {', '.join(BENCHMARKS)}.")) -> None:
    """Run a benchmark on real public data and print its result (`--json` for one JSON object)."""
    if name not in BENCHMARKS:
        typer.echo(f"error: unknown benchmark {name!r}; choose one of {', '.join(BENCHMARKS)}", err=True)
        raise typer.Exit(2)
    module = importlib.import_module(f"bench.{name}")
    command = typer.main.get_command(module.app)
    command.main(args=ctx.args, prog_name=f"yardmaster bench {name}", standalone_mode=True)


@app.command("eval")
def eval_suites(
    suite: list[str] = typer.Option(None, "--suite", help="A data set of evals/datasets (repeatable); default all."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as one JSON object instead of the table."),
    report: str = typer.Option(None, "--report", help="Markdown report path, the JSON beside it "
                                                      "(default <data dir>/evals/report.md)."),
) -> None:
    """Run the offline eval suites on the seeded reference network; exits 1 when a gate fails."""
    from evals.runner import main

    raise typer.Exit(main(get_settings(), suite or None, as_json, report))
