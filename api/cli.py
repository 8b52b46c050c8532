"""The `yardmaster` command line."""

import importlib

import typer

app = typer.Typer(help="Yardmaster: an open exception desk for logistics.", no_args_is_help=True)

BENCHMARKS = ("routing", "forecast", "maintenance", "late_risk")


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def bench(ctx: typer.Context, name: str = typer.Argument(..., help=f"One of: {', '.join(BENCHMARKS)}.")) -> None:
    """Run a benchmark on real public data and print its result (`--json` for one JSON object)."""
    if name not in BENCHMARKS:
        typer.echo(f"error: unknown benchmark {name!r}; choose one of {', '.join(BENCHMARKS)}", err=True)
        raise typer.Exit(2)
    module = importlib.import_module(f"bench.{name}")
    command = typer.main.get_command(module.app)
    command.main(args=ctx.args, prog_name=f"yardmaster bench {name}", standalone_mode=True)
