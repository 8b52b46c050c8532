"""The `yardmaster` command line."""

import importlib
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console

from cli.attribution import attribution
from cli.chat import chat
from cli.keys import keys_app
from cli.kpis import kpis
from cli.models import models_app
from cli.oneshot import one_shot
from cli.plan import plan_app, tradeoff_app
from cli.policy import policy_app
from cli.rates import rates_app
from cli.tables import report_console

if TYPE_CHECKING:
    from agents.policy import CohortLevel
    from agents.schemas import Decision
    from simulation.batch import RunSpec
    from simulation.run import Comparison, Policy, SimulationRun
    from twin.settings import Settings
    from twin.tradeoff import TradeOffScope

app = typer.Typer(help="Yardmaster: an open exception desk for logistics.", no_args_is_help=True)
# Commands import the database, models, solvers and graph when they run, so that `--help` starts fast and each
# command loads only what it uses (guarded by tests/cli/test_start.py).
app.add_typer(keys_app, name="keys")
app.add_typer(rates_app, name="rates")
app.add_typer(models_app, name="models")
app.add_typer(plan_app, name="plan")
app.add_typer(tradeoff_app, name="tradeoff")
app.add_typer(policy_app, name="policy")
app.command()(chat)
app.command()(kpis)
app.command()(attribution)
console = Console(stderr=True)

BENCHMARKS = ("routing", "forecast", "forecast_twin", "maintenance", "late_risk", "seed", "desk", "detect")


def database():
    """The configured database engine, migrated to the latest schema."""
    from twin.db import make_engine, migrate
    from twin.settings import get_settings

    engine = make_engine(get_settings().resolved_database_url)
    migrate(engine)
    return engine


@app.command()
def seed(
    seed: int = typer.Option(7, "--seed", help="Random seed of the reference network."),
    if_empty: bool = typer.Option(False, "--if-empty", help="Do nothing when a scenario is already loaded."),
    scale: int = typer.Option(
        1, "--scale", min=1, help="Grow the network K-fold: clones of shipments, trucks and routes with new codes."
    ),
) -> None:
    """Build the reference network with a year of daily history (replaces the loaded scenario)."""
    from rich.progress import Progress

    from twin import seed as scenario
    from twin import store
    from twin.db import session_scope

    engine = database()
    with session_scope(engine) as session:
        if if_empty and store.meta(session):
            console.print("a scenario is already loaded; nothing to do")
            return
    stages = 9 + scale - 1
    with Progress(console=console, transient=False) as progress:
        task = progress.add_task(f"seeding reference network (seed {seed}, scale {scale})", total=stages)
        rows = scenario.generate(seed, lambda label: progress.update(task, advance=1, description=label), scale)
        progress.update(task, description="writing to the database")
        scenario.load(engine, rows)
        progress.update(task, advance=1, description="done")
    with session_scope(engine) as session:
        typer.echo(json.dumps(store.summary(session), indent=2))


@app.command()
def train(
    if_missing: bool = typer.Option(False, "--if-missing", help="Do nothing when every model is trained."),
) -> None:
    """Train the demand, late-risk and truck failure models on the twin's history and register them."""
    from rich.progress import Progress

    from agents import modelbook
    from twin import store
    from twin.db import session_scope
    from twin.settings import get_settings

    settings = get_settings()
    if if_missing and modelbook.trained(settings.models_dir):
        console.print("every model is trained; nothing to do")
        return
    engine = database()
    with session_scope(engine) as session:
        if not store.meta(session):
            console.print("error: no scenario is loaded; run `yardmaster seed` first")
            raise typer.Exit(1)
    with Progress(console=console) as progress:
        task = progress.add_task("training", total=len(modelbook.MODEL_NAMES) + 1)
        versions = modelbook.train_all(
            engine, settings.models_dir, lambda label: progress.update(task, advance=1, description=label)
        )
    typer.echo(json.dumps(versions, indent=2))


@app.command()
def handle(
    source: str = typer.Argument(..., help="A file holding one ExceptionIn JSON object, or - for stdin."),
) -> None:
    """Handle one exception and print the Decision as JSON."""
    with one_shot():
        typer.echo(_decide(sys.stdin.read() if source == "-" else _read(source)).model_dump_json(indent=2))


def _decide(text: str) -> "Decision":
    """The decision on one ExceptionIn JSON object, or a clear error and exit code 2 (invalid) or 1 (not decided)."""
    from pydantic import ValidationError

    from tools.boosting import import_for_prediction

    import_for_prediction()  # deciding predicts with the trained models and never trains them
    from agents.schemas import ExceptionIn
    from graph.desk import DecisionPending, open_desk
    from twin.settings import get_settings

    try:
        exception = ExceptionIn.model_validate_json(text)
    except ValidationError as error:
        for problem in error.errors():
            where = ".".join(str(part) for part in problem["loc"]) or "body"
            console.print(f"error: {where}: {problem['msg']}")
        raise typer.Exit(2) from error
    with open_desk(get_settings(), database()) as desk:
        try:
            return desk.submit(exception, actor="cli")
        except DecisionPending as error:
            console.print(f"error: {error}; with YM_QUEUE set, is a `yardmaster worker` running?")
            raise typer.Exit(1) from error


def _read(path: str) -> str:
    """A file's text, or a clear error and exit code 2."""
    try:
        return Path(path).read_text()
    except OSError as error:
        console.print(f"error: cannot read {path}: {error.strerror}")
        raise typer.Exit(2) from error


@app.command()
def detect() -> None:
    """Score open shipments, stock positions and trucks; raise and handle the exceptions found."""
    from graph.desk import open_desk
    from twin.settings import get_settings

    with open_desk(get_settings(), database()) as desk:
        handled = desk.detect()
    console.print(f"{len(handled)} new exceptions")
    for exception, decision in handled:
        typer.echo(
            f"{exception.type}\t{','.join(exception.refs.present().values())}\t"
            f"{decision.decision_id}\t{decision.status}"
        )


@app.command()
def demo() -> None:
    """Seed and train if needed, run detection and a day of exceptions, approve what waits, print the KPIs."""
    from agents import modelbook
    from cli.demo import run_demo
    from graph.desk import open_desk
    from twin import seed as scenario
    from twin import store
    from twin.db import session_scope
    from twin.settings import get_settings

    settings, engine = get_settings(), database()
    with session_scope(engine) as session:
        loaded = bool(store.meta(session))
    if not loaded:
        console.print("seeding the reference network")
        scenario.load(engine, scenario.generate(settings.seed))
    if not modelbook.trained(settings.models_dir):
        console.print("training the models (about a minute)")
        modelbook.train_all(engine, settings.models_dir)
    with open_desk(settings, engine) as desk:
        run_demo(desk, report_console())


@app.command()
def serve(
    host: str = typer.Option(None, "--host", help="Interface to bind (default YM_HOST, 127.0.0.1)."),
    port: int = typer.Option(None, "--port", help="Port (default YM_PORT, 8000)."),
) -> None:
    """Start the HTTP API."""
    from worker.footprint import trim

    trim()  # before the app's imports: serving predicts with the trained models and never trains them
    import uvicorn

    from api.app import create_app
    from graph.queue import QueueMisconfigured
    from twin.settings import get_settings

    settings = get_settings()
    try:
        service = create_app(settings)
    except QueueMisconfigured as error:
        console.print(f"error: {error}")
        raise typer.Exit(2) from error
    # uvicorn's own proxy headers would trust any X-Forwarded-For from loopback: YM_TRUSTED_PROXIES decides instead
    uvicorn.run(service, host=host or settings.host, port=port or settings.port, proxy_headers=False)


@app.command()
def worker(
    concurrency: int = typer.Option(1, "--concurrency", min=1, max=32, help="Jobs this process runs at once."),
) -> None:
    """Take decisions, detector passes, outcome checks and recovery sweeps from the queue (YM_QUEUE=procrastinate);
    run as many worker processes, on as many machines, as the load needs."""
    from worker.footprint import trim

    trim()  # before the worker's imports, as for `serve`
    from graph.queue import QueueMisconfigured
    from twin.settings import get_settings
    from worker.run import run_worker

    settings = get_settings()
    if settings.queue is None:
        console.print("error: YM_QUEUE is not set; a worker serves the queue (YM_QUEUE=procrastinate)")
        raise typer.Exit(2)
    try:
        run_worker(settings, concurrency)
    except QueueMisconfigured as error:
        console.print(f"error: {error}")
        raise typer.Exit(2) from error


@app.command(add_help_option=False, context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def bench(
    ctx: typer.Context, name: str = typer.Argument(None, help=f"One of: {', '.join(BENCHMARKS)}.", show_default=False)
) -> None:
    """Run a benchmark on real public data and print its result (`--json` for one JSON object);
    `yardmaster bench NAME --help` shows that benchmark's own options."""
    if name is None or name not in BENCHMARKS:
        asked = name in ("--help", "-h")
        if not asked:
            problem = "name a benchmark" if name is None else f"unknown benchmark {name!r}"
            typer.echo(f"error: {problem}; choose one of {', '.join(BENCHMARKS)}", err=True)
        typer.echo(ctx.get_help())
        raise typer.Exit(0 if asked else 2)
    module = importlib.import_module(f"bench.{name}")
    command = typer.main.get_command(module.app)
    command.main(args=ctx.args, prog_name=f"yardmaster bench {name}", standalone_mode=True)


@app.command("eval")
def eval_suites(
    suite: list[str] = typer.Option(None, "--suite", help="A data set of evals/datasets (repeatable); default all."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as one JSON object instead of the table."),
    report: str = typer.Option(
        None, "--report", help="Markdown report path, the JSON beside it (default <data dir>/evals/report.md)."
    ),
) -> None:
    """Run the offline eval suites on the seeded reference network; exits 1 when a gate fails."""
    from evals.runner import main
    from twin.settings import get_settings

    raise typer.Exit(main(get_settings(), suite or None, as_json, report))


@app.command()
def outcomes() -> None:
    """Check whether each executed decision achieved what it meant to on the twin, and record the outcomes."""
    from agents.outcomes import record_outcomes
    from agents.toolbox import open_toolbox
    from twin.settings import get_settings

    changed = record_outcomes(open_toolbox(get_settings(), database()))
    console.print(f"{len(changed)} outcomes recorded or changed")
    for decision in changed:
        if outcome := decision.outcome:
            typer.echo(f"{decision.decision_id}\t{outcome.status}\t{outcome.goal}")


def _run_with_progress(settings: "Settings", specs: "list[RunSpec]", jobs: int) -> "list[SimulationRun]":
    """The batch's runs, `jobs` at a time, with a progress bar per run moved on by each finished day."""
    from rich.progress import Progress

    from evals.soundness import violations
    from simulation.batch import run_batch
    from simulation.run import DayKpis

    with Progress(console=console) as progress:
        tasks = [
            progress.add_task(
                f"{spec.policy}, seed {spec.seed}: waiting", total=spec.warmup + spec.days + spec.cooldown
            )
            for spec in specs
        ]

        def advance(index: int, kpis: DayKpis) -> None:
            """Move the run's bar on by its finished day."""
            spec = specs[index]
            progress.update(tasks[index], advance=1, description=f"{spec.policy}, seed {spec.seed}: {kpis.day}")

        return run_batch(settings, specs, jobs, violations, advance)


@app.command()
def simulate(
    days: int = typer.Option(14, "--days", min=1, max=365, help="Days measured."),
    seed: int = typer.Option(7, "--seed", help="Seed of the fresh twin the simulation runs on."),
    seeds: str = typer.Option(
        None, "--seeds", help="Several seeds, comma-separated (e.g. 7,11,13): KPIs with 95% intervals over seeds."
    ),
    warmup: int = typer.Option(0, "--warmup", min=0, max=60, help="Days run before the measured window."),
    cooldown: int = typer.Option(
        0, "--cooldown", min=0, max=30, help="Days measured after the window with no new decision."
    ),
    policy: list[str] = typer.Option(
        ["desk"],
        "--policy",
        help="desk (with its plans), reactive (exceptions only), rules or none (repeatable: compared side by side).",
    ),
    reject_above: float = typer.Option(
        None, "--reject-above", min=0, help="The scripted planner rejects waiting decisions costing more (USD)."
    ),
    cohort: list[str] = typer.Option(
        None,
        "--cohort",
        help="PATTERN=LEVEL for every action type in a cohort (lane, site or carrier pattern; level off, shadow, "
        "recommend or act), over the default rules; repeatable, the most specific pattern wins "
        "(e.g. --cohort 'DAL-*=act' --cohort '*=shadow').",
    ),
    tradeoff: list[str] = typer.Option(
        None,
        "--tradeoff",
        help="SCOPE=on_time:W[,co2:W], the scope a tier, TIER/LANE or *: the architect's trade-off for carrier "
        "choice and late-shipment recoveries there, put in force before the first day (weights 0-10, 1 = face "
        "value; repeatable, e.g. --tradeoff 'gold=on_time:3').",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the runs and their comparison as JSON."),
    chart: Path = typer.Option(None, "--chart", help="Write a PNG chart of the daily KPIs here."),
    keep_twin: Path = typer.Option(
        None,
        "--keep-twin",
        help="Keep the run's twin in this data directory (one run: the directory itself; several: a folder per "
        "policy and seed), e.g. for `YM_DATA_DIR=DIR yardmaster attribution`.",
    ),
    jobs: int = typer.Option(
        None, "--jobs", min=1, max=64, help="Runs at once, one process each (default: one per CPU core)."
    ),
) -> None:
    """Advance a fresh twin day by day under each policy; print the daily KPIs, the totals side by side, what each
    action type cost and saved, and with --cohort the desk's KPI effects with 95% intervals against the shadow cohort
    and the baseline before the run (the loaded twin is not touched); --tradeoff shows what a trade-off would change."""
    from agents import modelbook
    from simulation.run import POLICIES, Policy, compare, with_realised
    from twin.settings import get_settings

    cohorts, tradeoffs, chosen = _simulation_args(policy, cohort, tradeoff, seeds, seed)
    settings = get_settings()
    if not modelbook.trained(settings.models_dir):
        console.print("error: no trained models; run `yardmaster seed` and `yardmaster train` first")
        raise typer.Exit(1)
    policies: list[Policy] = [known for asked in policy for known in POLICIES if known == asked]
    specs = _run_specs(policies, chosen, (days, warmup, cooldown), reject_above, (cohorts, tradeoffs), keep_twin)
    runs = with_realised(_run_with_progress(settings, specs, jobs or os.cpu_count() or 1))
    _show_simulation(runs, compare(runs), chosen, chart, as_json)


def _run_specs(
    policies: list["Policy"],
    seeds: list[int],
    window: tuple[int, int, int],
    reject_above: float | None,
    governance: tuple[list["CohortLevel"], list["TradeOffScope"]],
    keep_twin: Path | None,
) -> list["RunSpec"]:
    """One run per seed and policy over the window (days, warm-up, cool-down), under the cohort levels and trade-offs
    asked; with `keep_twin`, each keeps its twin there (in a folder of its own when there are several runs)."""
    from simulation.batch import RunSpec
    from simulation.run import Planner

    days, warmup, cooldown = window
    cohorts, tradeoffs = governance
    return [
        RunSpec(
            policy=name,
            seed=number,
            days=days,
            warmup=warmup,
            cooldown=cooldown,
            planner=Planner(reject_above_usd=reject_above),
            cohorts=cohorts,
            tradeoffs=tradeoffs,
            keep_twin=keep_twin and (keep_twin if len(seeds) * len(policies) == 1 else keep_twin / f"{name}-{number}"),
        )
        for number in seeds
        for name in policies
    ]


def _simulation_args(
    policy: list[str], cohort: list[str] | None, tradeoff: list[str] | None, seeds: str | None, seed: int
) -> tuple[list["CohortLevel"], list["TradeOffScope"], list[int]]:
    """The cohort levels, trade-offs and seeds a simulation asks for, once its policies are known; exit 2 naming the
    option at fault."""
    from agents.policy import CohortLevel
    from simulation.run import POLICIES
    from twin.tradeoff import TradeOffScope

    unknown = [name for name in policy if name not in POLICIES]
    if unknown:
        console.print(f"error: --policy: unknown policy {unknown[0]!r}; choose desk, reactive, rules or none")
        raise typer.Exit(2)
    try:
        cohorts = [CohortLevel.parse(text) for text in cohort or []]
    except ValueError as error:
        console.print(f"error: --cohort: {error}")
        raise typer.Exit(2) from None
    try:
        tradeoffs = [TradeOffScope.parse(text) for text in tradeoff or []]
    except ValueError as error:
        console.print(f"error: --tradeoff: {error}")
        raise typer.Exit(2) from None
    try:
        return cohorts, tradeoffs, sorted({int(part) for part in seeds.split(",")}) if seeds else [seed]
    except ValueError:
        console.print(f"error: --seeds: {seeds!r} is not a comma-separated list of whole numbers")
        raise typer.Exit(2) from None


def _show_simulation(
    runs: list["SimulationRun"], comparison: "Comparison", chosen: list[int], chart: Path | None, as_json: bool
) -> None:
    """The runs and their comparison: a chart of the first seed's runs when asked, then JSON or the report."""
    from simulation.report import print_report, write_chart

    if chart:
        write_chart([run for run in runs if run.seed == chosen[0]], chart)
        console.print(f"chart written to {chart}")
    if as_json:
        body = {"runs": [run.model_dump(mode="json") for run in runs], "comparison": comparison.model_dump(mode="json")}
        typer.echo(json.dumps(body, indent=2))
        return
    print_report(report_console(), runs, comparison, chosen)
