"""Benchmark: the VRPTW tool on Solomon (100 customers) or Gehring-Homberger (1000) instances against best-known distances.

DIMACS convention: Euclidean distances truncated to one decimal, fleet limited to the instance's vehicles,
objective total distance, gap = (distance - BKS) / BKS.
"""

import json
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import typer
import vrplib
from pydantic import BaseModel
from rich.console import Console
from rich.table import Table
from tqdm import tqdm

from bench.data import DataMissing, shared_data
from tools.registry import ModelNotFound
from tools.routing import ENGINES, Depot, Location, RoutingProblem, Stop, Vehicle, sized_iterations, solve_vrptw
from twin.settings import get_settings
from twin.typed_pandas import as_float, as_series

FIXED_ITERATIONS = 2000  # the re-plan's setting before its effort was sized to the instance

app = typer.Typer()


class InstanceSet(BaseModel):
    """Where a benchmark set's instances and best-known distances live, and how to read them."""

    folder: str
    bks_file: str
    bks_column: str
    suffix: str
    instance_format: str


SETS = {
    "solomon": InstanceSet(
        folder="solomon",
        bks_file="solomon_bks.csv",
        bks_column="cvrplib_bks_distance_trunc1",
        suffix=".txt",
        instance_format="solomon",
    ),
    "gh1000": InstanceSet(
        folder="gehring_homberger_1000",
        bks_file="gehring_homberger_1000_bks.csv",
        bks_column="bks_distance_trunc1",
        suffix=".vrp",
        instance_format="vrplib",
    ),
}


class InstanceResult(BaseModel):
    """One instance's outcome."""

    instance: str
    vehicles: int
    distance: float
    bks: float
    gap: float
    seconds: float
    feasible: bool


class RoutingBenchmark(BaseModel):
    """The whole run: settings, per-instance outcomes, mean gap and feasibility."""

    engine: str
    set: str
    time_limit: float
    instances: list[InstanceResult]
    mean_gap: float
    all_feasible: bool


def problem_from_instance(instance: dict) -> RoutingProblem:
    """A routing problem from a `vrplib.read_instance` record (node 0 is the depot), in DIMACS units."""
    coords, windows, demand = instance["node_coord"], instance["time_window"], instance["demand"]
    service = np.broadcast_to(instance["service_time"], len(coords))
    stops = [
        Stop(
            id=str(node),
            location=Location(x=float(coords[node, 0]), y=float(coords[node, 1])),
            demand=int(demand[node]),
            service_minutes=float(service[node]),
            tw_early=float(windows[node, 0]),
            tw_late=float(windows[node, 1]),
        )
        for node in range(1, len(coords))
    ]
    return RoutingProblem(
        depot=Depot(
            location=Location(x=float(coords[0, 0]), y=float(coords[0, 1])),
            tw_early=float(windows[0, 0]),
            tw_late=float(windows[0, 1]),
        ),
        stops=stops,
        vehicles=[
            Vehicle(id=f"V{k + 1}", capacity=int(instance["capacity"])) for k in range(int(instance["vehicles"]))
        ],
        precision=10,
    )


def run_instance(
    path: Path, instance_format: str, bks: float, engine: str, time_limit: float, seed: int
) -> InstanceResult:
    """Solve one instance file and score it against its best-known distance."""
    problem = problem_from_instance(vrplib.read_instance(str(path), instance_format=instance_format))
    started = time.perf_counter()
    plan = solve_vrptw(problem, engine=engine, time_limit_s=time_limit, seed=seed)
    seconds = time.perf_counter() - started
    distance = plan.objective.total_distance
    return InstanceResult(
        instance=path.stem,
        vehicles=plan.objective.vehicles_used,
        distance=distance,
        bks=bks,
        gap=(distance - bks) / bks,
        seconds=round(seconds, 2),
        feasible=plan.feasible and not plan.unserved,
    )


def run_benchmark(
    set_name: str, names: list[str] | None, engine: str, time_limit: float, seed: int
) -> RoutingBenchmark:
    """Run the named instances (default: all with a best-known distance) of a set; raises DataMissing without data."""
    spec = SETS[set_name]
    folder = shared_data("vrptw", spec.folder)
    bks = as_series(pd.read_csv(shared_data("vrptw", spec.bks_file)).set_index("instance")[spec.bks_column])
    names = names or sorted(bks.index)
    unknown = sorted(set(names) - set(bks.index))
    if unknown:
        raise ValueError(f"unknown {set_name} instances: {', '.join(unknown)}")
    results = [
        run_instance(
            folder / f"{name}{spec.suffix}", spec.instance_format, as_float(bks[name]), engine, time_limit, seed
        )
        for name in tqdm(names, desc=f"{set_name} {engine}", unit="instance", file=sys.stderr)
    ]
    return RoutingBenchmark(
        engine=engine,
        set=set_name,
        time_limit=time_limit,
        instances=results,
        mean_gap=statistics.fmean(result.gap for result in results),
        all_feasible=all(result.feasible for result in results),
    )


def _table(result: RoutingBenchmark) -> Table:
    """A readable table of the run."""
    table = Table(title=f"VRPTW {result.set} with {result.engine}, {result.time_limit:g} s per instance")
    for column in ("instance", "vehicles", "distance", "BKS", "gap %", "seconds", "feasible"):
        table.add_column(column)
    for row in result.instances:
        table.add_row(
            row.instance,
            str(row.vehicles),
            f"{row.distance:.1f}",
            f"{row.bks:.1f}",
            f"{100 * row.gap:.2f}",
            f"{row.seconds:.1f}",
            str(row.feasible),
        )
    table.caption = f"mean gap {100 * result.mean_gap:.2f}%, all feasible: {result.all_feasible}"
    return table


class EffortRow(BaseModel):
    """One instance solved at the fixed iterations and at those sized to its stop count: objective and seconds."""

    instance: str
    stops: int
    iterations: int
    fixed_objective: float
    sized_objective: float
    fixed_seconds: float
    sized_seconds: float


class EffortComparison(BaseModel):
    """Sized against fixed effort over a set of instances: objective gap (sized over fixed, minus 1) and time."""

    source: str
    rows: list[EffortRow]
    same_objective: int
    mean_gap: float
    max_gap: float
    fixed_seconds: float
    sized_seconds: float


class EffortBenchmark(BaseModel):
    """The fixed setting, the comparison on Solomon and on the seeded twin's re-plans (or why one was skipped)."""

    fixed_iterations: int
    solomon: EffortComparison | None
    twin: EffortComparison | None
    skipped: list[str]


def compare(source: str, rows: list[EffortRow]) -> EffortComparison:
    """The summary of a set of instances."""
    gaps = [row.sized_objective / row.fixed_objective - 1 for row in rows]
    return EffortComparison(
        source=source,
        rows=rows,
        same_objective=sum(abs(gap) < 1e-9 for gap in gaps),
        mean_gap=statistics.fmean(gaps),
        max_gap=max(gaps),
        fixed_seconds=round(sum(row.fixed_seconds for row in rows), 2),
        sized_seconds=round(sum(row.sized_seconds for row in rows), 2),
    )


def _timed(problem: RoutingProblem, sized: bool) -> tuple[float, float]:
    """The objective (distance plus penalties) of a re-plan-style solve and its seconds."""
    started = time.perf_counter()
    plan = solve_vrptw(problem, time_limit_s=60.0, max_iterations=FIXED_ITERATIONS, seed=0, size_effort=sized)
    return plan.objective.cost, round(time.perf_counter() - started, 3)


def solomon_effort(names: list[str] | None) -> EffortComparison:
    """Solomon instances solved at the fixed and at the sized iterations."""
    spec = SETS["solomon"]
    folder = shared_data("vrptw", spec.folder)
    names = names or sorted(path.stem for path in folder.glob(f"*{spec.suffix}"))
    rows = []
    for name in tqdm(names, desc="solomon effort", unit="instance", file=sys.stderr):
        problem = problem_from_instance(vrplib.read_instance(str(folder / f"{name}{spec.suffix}"), "solomon"))
        (fixed, fixed_s), (sized, sized_s) = _timed(problem, False), _timed(problem, True)
        rows.append(
            EffortRow(
                instance=name,
                stops=len(problem.stops),
                iterations=sized_iterations(len(problem.stops)),
                fixed_objective=fixed,
                sized_objective=sized,
                fixed_seconds=fixed_s,
                sized_seconds=sized_s,
            )
        )
    return compare("solomon", rows)


def twin_effort() -> EffortComparison:
    """Routing's re-plan without each truck of the seeded twin (YM_DATA_DIR) at the fixed and at the sized effort:
    every distinct solve (today's plan with the truck and the plan without it) compared."""
    from agents.replan import replan_without_truck
    from agents.toolbox import open_toolbox
    from twin import store

    toolbox = open_toolbox(get_settings())
    with toolbox.session() as session:
        trucks = [
            route.truck
            for dc in store.dcs(session)
            for route, _ in store.routes_on(session, toolbox.now().date(), dc.code)
        ]
    solves: dict[str, dict] = {}
    for truck in tqdm(trucks, desc="twin re-plans", unit="truck", file=sys.stderr):
        for sized in (False, True):
            effort = replace(toolbox, settings=toolbox.settings.model_copy(update={"routing_sized_effort": sized}))
            started = time.perf_counter()
            proposal = replan_without_truck(effort, truck, "effort benchmark")
            seconds = round(time.perf_counter() - started, 3)
            plans = [record for record in proposal.evidence if record.source.tool == "routing"]
            for record in plans:
                row = solves.setdefault(
                    record.inputs["problem_sha256"], {"stops": record.inputs["stops"], "instance": truck}
                )
                row["sized" if sized else "fixed"] = (record.facts["cost"], seconds / len(plans))
    rows = [
        EffortRow(
            instance=row["instance"],
            stops=row["stops"],
            iterations=sized_iterations(row["stops"]),
            fixed_objective=row["fixed"][0],
            sized_objective=row["sized"][0],
            fixed_seconds=row["fixed"][1],
            sized_seconds=row["sized"][1],
        )
        for row in solves.values()
    ]
    toolbox.engine.dispose()
    return compare("twin re-plans", rows)


def run_effort(names: list[str] | None) -> EffortBenchmark:
    """The effort comparison on Solomon and on the twin, each skipped with a reason when its data is missing."""
    skipped, solomon, twin = [], None, None
    try:
        solomon = solomon_effort(names)
    except DataMissing as missing:
        skipped.append(str(missing))
    try:
        twin = twin_effort()
    except (RuntimeError, ModelNotFound) as missing:  # no scenario loaded, or no trained models
        skipped.append(f"twin re-plans: {missing}; run `yardmaster seed` and `yardmaster train` first")
    return EffortBenchmark(fixed_iterations=FIXED_ITERATIONS, solomon=solomon, twin=twin, skipped=skipped)


@app.command()
def routing(
    instances: str | None = typer.Option(None, help="Comma-separated instance names, e.g. C101,R101 (default: all)."),
    time_limit: float = typer.Option(10.0, help="Seconds per instance."),
    engine: str | None = typer.Option(None, help="pyvrp or ortools (default: YM_ROUTING_ENGINE)."),
    set_name: str = typer.Option("solomon", "--set", help="solomon (56 x 100 customers) or gh1000 (60 x 1000)."),
    seed: int = typer.Option(0, help="Solver seed."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object on stdout."),
    effort: bool = typer.Option(
        False, "--effort", help="Compare PyVRP's fixed 2,000 iterations with iterations sized to each instance."
    ),
) -> None:
    """Solve VRPTW benchmark instances and report the gap to the best-known distances."""
    if effort:
        names = [name.strip() for name in instances.split(",") if name.strip()] if instances else None
        typer.echo(run_effort(names).model_dump_json(indent=None if as_json else 2))
        return
    engine = engine or get_settings().routing_engine
    for kind, value, choices in (("set", set_name, SETS), ("engine", engine, ENGINES)):
        if value not in choices:
            typer.echo(f"error: unknown {kind} {value!r}; choose one of {', '.join(choices)}", err=True)
            raise typer.Exit(2)
    names = [name.strip() for name in instances.split(",") if name.strip()] if instances else None
    try:
        result = run_benchmark(set_name, names, engine, time_limit, seed)
    except DataMissing as missing:
        typer.echo(str(missing), err=True)
        if as_json:
            typer.echo(json.dumps({"skipped": str(missing)}))
        return
    except ValueError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from error
    if as_json:
        typer.echo(result.model_dump_json())
    else:
        Console().print(_table(result))
