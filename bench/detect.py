"""The detector pass on twins grown K-fold, with one or more worker processes sharing its parts (each site, each
block of trucks, the models) as queue workers do: wall seconds per scale and workers, and growth against scale 1."""

import multiprocessing
import statistics
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import chromadb
import typer
from pydantic import BaseModel
from sqlmodel import Session, col, func, select

from agents import detectors
from agents.llm import make_chat_model
from agents.modelbook import load_all
from agents.toolbox import Toolbox
from bench.data import report
from bench.desk import say, scaled_twin
from tools.knowledge import KnowledgeBase
from twin import models as m
from twin.db import make_engine
from twin.settings import PROJECT_ROOT, Settings, get_settings

app = typer.Typer()
TOOLBOX: list[Toolbox] = []  # the worker process's own toolbox, opened once by `_open`


class WorkersRun(BaseModel):
    """One pass with its parts shared by `workers` processes: the median wall time of the repeats."""

    workers: int
    seconds: float
    runs: list[float]


class ScaleRun(BaseModel):
    """The pass on one grown twin."""

    scale: int
    trucks: int
    in_transit: int
    parts: int
    exceptions: int
    workers: list[WorkersRun]


class DetectBench(BaseModel):
    """Every scale's pass, its growth per worker count (the worst ratio of seconds / scale-1 seconds / scale over the
    grown twins: 1 is linear), and where the report went."""

    scales: list[ScaleRun]
    growth: dict[int, float]
    speedup: dict[int, float]  # per scale, the pass's seconds with one worker over those with the most workers
    report: str | None = None


def _open(settings: Settings) -> None:
    """Open the worker process's toolbox (no knowledge base: the detectors read none) with its models loaded."""
    engine = make_engine(settings.resolved_database_url)
    models = load_all(settings.models_dir, engine, settings.model_refresh_s)
    knowledge = KnowledgeBase(chromadb.EphemeralClient())
    TOOLBOX.append(Toolbox(engine, models, knowledge, make_chat_model(settings), settings))
    _read = (models.late, models.fleet)  # from disk, before any pass is timed


def _part(part: detectors.Part) -> list[str]:
    """Run one part in this worker process: the external ids it raises."""
    return [e.external_id or "" for e in detectors.detect_part(TOOLBOX[0], part)]


def timed_pass(settings: Settings, workers: int, repeats: int) -> tuple[WorkersRun, list[str], int]:
    """The pass shared by `workers` warm processes, once untimed and `repeats` times timed; what it raised and how
    many parts it had."""
    spawn = multiprocessing.get_context("spawn")  # a fork would copy the caller's XGBoost threads, and hang
    with ProcessPoolExecutor(workers, mp_context=spawn, initializer=_open, initargs=(settings,)) as pool:
        engine = make_engine(settings.resolved_database_url)
        with Session(engine) as session:
            parts = detectors.parts(session)
        engine.dispose()
        raised = sorted(e for found in pool.map(_part, parts) for e in found)
        runs = []
        for _ in range(repeats):
            start = time.perf_counter()
            again = sorted(e for found in pool.map(_part, parts) for e in found)
            runs.append(round(time.perf_counter() - start, 3))
            if again != raised:
                raise RuntimeError("a repeated pass raised other exceptions")
    return WorkersRun(workers=workers, seconds=statistics.median(runs), runs=runs), raised, len(parts)


def scale_run(settings: Settings, scale: int, workers: list[int], repeats: int) -> ScaleRun:
    """The pass on a twin grown `scale`-fold, with each number of workers; every one raises the same exceptions."""
    say(f"scale {scale}: building the twin", "detect")
    with scaled_twin(settings, scale) as twin:
        engine = make_engine(twin.resolved_database_url)
        with Session(engine) as session:
            trucks = session.exec(select(func.count(col(m.Vehicle.code)))).one()
            in_transit = session.exec(
                select(func.count(col(m.Shipment.id))).where(col(m.Shipment.status) == "in_transit")
            ).one()
        engine.dispose()
        runs, found = [], []
        for count in workers:
            say(f"scale {scale}: the pass with {count} worker(s)", "detect")
            run, raised, parts = timed_pass(twin, count, repeats)
            runs.append(run)
            found.append(raised)
        if any(raised != found[0] for raised in found):
            raise RuntimeError(f"scale {scale}: the pass raised other exceptions with other numbers of workers")
    return ScaleRun(
        scale=scale, trucks=trucks, in_transit=in_transit, parts=parts, exceptions=len(found[0]), workers=runs
    )


def growth(scales: list[ScaleRun]) -> dict[int, float]:
    """Per number of workers, the worst of (seconds at K / seconds at 1) / K over the grown twins (1 is linear)."""
    base, grown = scales[0], [run for run in scales[1:] if run.scale > 1]
    result = {}
    for index, first in enumerate(base.workers):
        ratios = [run.workers[index].seconds / first.seconds / run.scale for run in grown]
        if ratios:
            result[first.workers] = round(max(ratios), 2)
    return result


def run(scales: list[int], workers: list[int], repeats: int, report_dir: Path | None) -> DetectBench:
    """The benchmark on the configured seeded and trained twin (private copies: the loaded twin is not touched)."""
    settings = get_settings()
    measured = [scale_run(settings, scale, workers, repeats) for scale in sorted({1, *scales})]
    result = DetectBench(
        scales=measured,
        growth=growth(measured),
        speedup={
            one.scale: round(one.workers[0].seconds / one.workers[-1].seconds, 2)
            for one in measured
            if len(one.workers) > 1
        },
    )
    if report_dir:
        report_dir.mkdir(parents=True, exist_ok=True)
        result.report = str(report_dir / "detect-bench.json")
        Path(result.report).write_text(result.model_dump_json(indent=2))
    return result


def describe(result: DetectBench) -> list[str]:
    """Readable lines of the report."""
    lines = [
        f"scale {one.scale} ({one.trucks} trucks, {one.in_transit} in transit, {one.parts} parts): "
        + ", ".join(f"{w.workers} worker(s) {w.seconds:.2f} s" for w in one.workers)
        + f"; {one.exceptions} exceptions"
        for one in result.scales
    ]
    lines += [f"growth over scale with {w} worker(s): {g:.2f} (1 = linear)" for w, g in result.growth.items()]
    return lines


def _numbers(text: str, option: str) -> list[int]:
    """Comma-separated integers, each at least 1."""
    try:
        values = [int(part) for part in text.split(",") if part.strip()]
    except ValueError as error:
        raise typer.BadParameter(f"{option}: {text!r} is not a comma-separated list of integers") from error
    if not values or any(value < 1 for value in values):
        raise typer.BadParameter(f"{option}: give integers of at least 1")
    return values


@app.command()
def main(
    scales: str = typer.Option("2,4,8", "--scales", help="Grown twins to measure against scale 1."),
    workers: str = typer.Option("1,2", "--workers", help="Worker processes sharing the pass's parts."),
    repeats: int = typer.Option(3, "--repeats", min=1, help="Timed passes per scale and workers (median)."),
    report_dir: Path = typer.Option(
        PROJECT_ROOT / "reports", "--report-dir", help="Folder of the JSON report (detect-bench.json)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """The detector pass on the reference twin and twins grown K-fold, its parts shared by 1 and 2 workers."""
    chosen_scales, chosen_workers = _numbers(scales, "--scales"), _numbers(workers, "--workers")
    report(lambda: run(chosen_scales, chosen_workers, repeats, report_dir), as_json, describe)
