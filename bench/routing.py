"""Benchmark: the VRPTW tool on Solomon (100 customers) or Gehring-Homberger (1000) instances against best-known distances.

DIMACS convention: Euclidean distances truncated to one decimal, fleet limited to the instance's vehicles,
objective total distance, gap = (distance - BKS) / BKS.
"""

import json
import statistics
import sys
import time
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
from tools.routing import ENGINES, Depot, Location, RoutingProblem, Stop, Vehicle, solve_vrptw
from twin.settings import get_settings

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
    bks = pd.read_csv(shared_data("vrptw", spec.bks_file)).set_index("instance")[spec.bks_column]
    names = names or sorted(bks.index)
    unknown = sorted(set(names) - set(bks.index))
    if unknown:
        raise ValueError(f"unknown {set_name} instances: {', '.join(unknown)}")
    results = [
        run_instance(folder / f"{name}{spec.suffix}", spec.instance_format, float(bks[name]), engine, time_limit, seed)
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


@app.command()
def routing(
    instances: str | None = typer.Option(None, help="Comma-separated instance names, e.g. C101,R101 (default: all)."),
    time_limit: float = typer.Option(10.0, help="Seconds per instance."),
    engine: str | None = typer.Option(None, help="pyvrp or ortools (default: YM_ROUTING_ENGINE)."),
    set_name: str = typer.Option("solomon", "--set", help="solomon (56 x 100 customers) or gh1000 (60 x 1000)."),
    seed: int = typer.Option(0, help="Solver seed."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object on stdout."),
) -> None:
    """Solve VRPTW benchmark instances and report the gap to the best-known distances."""
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
