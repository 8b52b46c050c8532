"""Benchmark of the reference-network generator: time to generate and to load a seeded twin into SQLite."""

import tempfile
import time
from pathlib import Path

import typer
from pydantic import BaseModel

from bench.data import report
from twin import seed as scenario
from twin.db import make_engine, migrate

app = typer.Typer(add_completion=False)


class SeedBench(BaseModel):
    """Seconds to generate and to load one scenario, and how many rows it holds."""

    seed: int
    rows: int
    generate_seconds: float
    load_seconds: float
    total_seconds: float


def run_bench(seed: int) -> SeedBench:
    """Generate the scenario for a seed and load it into a fresh SQLite file."""
    started = time.perf_counter()
    rows = scenario.generate(seed)
    generated = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{Path(folder) / 'twin.db'}")
        migrate(engine)
        loading = time.perf_counter()
        scenario.load(engine, rows)
        loaded = time.perf_counter()
        engine.dispose()
    return SeedBench(
        seed=seed,
        rows=sum(len(table_rows) for table_rows in rows.values()),
        generate_seconds=round(generated - started, 2),
        load_seconds=round(loaded - loading, 2),
        total_seconds=round(generated - started + loaded - loading, 2),
    )


@app.command()
def main(
    seed: int = typer.Option(7, help="Scenario seed."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Time `yardmaster seed` without the database server in the way: generate, then load into SQLite."""
    report(
        lambda: run_bench(seed),
        as_json,
        lambda r: [
            f"seed {r.seed}: {r.rows:,} rows, generated in {r.generate_seconds} s, loaded in {r.load_seconds} s"
        ],
    )
