"""The desk's own speed on the seeded twin: warm decision latency per exception type, whole-decision time against the
time spent in the deterministic tools, and a live server's throughput under concurrent load."""

import cProfile
import os
import pstats
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import httpx
import numpy as np
import typer
from pydantic import BaseModel
from sqlmodel import Session, select

from agents.schemas import ExceptionIn, ExceptionType, Refs
from bench.data import DataMissing, report
from twin import access, store
from twin import models as m
from twin.db import make_engine
from twin.settings import PROJECT_ROOT, Settings, get_settings

app = typer.Typer()
TOOLS_DIR = str(PROJECT_ROOT / "tools")


class Latency(BaseModel):
    """Warm in-process decisions of one exception type: wall time and the share of it spent in tools."""

    type: ExceptionType
    decisions: int
    median_ms: float
    p95_ms: float
    tool_median_ms: float
    whole_over_tool: float


class Load(BaseModel):
    """A live server under a fixed number of concurrent clients posting exceptions."""

    concurrency: int
    decisions: int
    errors: int
    seconds: float
    per_second: float
    p50_ms: float
    p95_ms: float
    p99_ms: float


class DeskBench(BaseModel):
    """Latency per type, load per concurrency, the server's worker processes and the whole run's wall time."""

    latency: list[Latency]
    load: list[Load]
    server_workers: int
    seconds: float


def subjects(session: Session, per_type: int) -> dict[ExceptionType, list[Refs]]:
    """Distinct subjects of every exception type on the twin, `per_type` each plus one to warm up."""
    wanted = per_type + 1
    shipments = session.exec(
        select(m.Shipment.id).where(m.Shipment.status == "in_transit").order_by(m.Shipment.promised_at).limit(wanted)
    ).all()
    positions = session.exec(
        select(m.InventoryPosition.sku, m.InventoryPosition.location).order_by(
            m.InventoryPosition.on_hand, m.InventoryPosition.sku
        )
    ).all()
    trucks = [vehicle.code for vehicle in store.fleet(session)]
    offers = session.exec(
        select(m.CarrierLane.carrier, m.CarrierLane.lane).order_by(m.CarrierLane.lane, m.CarrierLane.carrier)
    ).all()
    stock = [Refs(sku=sku, location=dc) for sku, dc in positions]
    return {
        ExceptionType.late_shipment: [Refs(shipment_id=code) for code in shipments],
        ExceptionType.stockout_risk: stock[:wanted],
        ExceptionType.demand_spike: stock[wanted : 2 * wanted],
        ExceptionType.equipment_failure_risk: [Refs(asset_id=code) for code in trucks[:wanted]],
        ExceptionType.carrier_capacity: [Refs(carrier=carrier, lane=lane) for carrier, lane in offers[:wanted]],
    }


def exceptions(session: Session, per_type: int) -> dict[ExceptionType, list[ExceptionIn]]:
    """The benchmark's exceptions, by type."""
    return {
        kind: [ExceptionIn(type=kind, refs=refs, source="bench") for refs in refs_list]
        for kind, refs_list in subjects(session, per_type).items()
    }


def tool_seconds(profile: cProfile.Profile) -> float:
    """Time spent in `tools/` functions called from outside `tools/` (so nested tool calls count once)."""
    stats = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    total = 0.0
    for (path, _line, _name), (_cc, _nc, _tt, cumulative, callers) in stats.items():
        if not path.startswith(TOOLS_DIR):
            continue
        if not callers:  # called from the frame that started the profiler
            total += cumulative
        total += sum(
            ct for (caller_path, *_), (_c, _n, _t, ct) in callers.items() if not caller_path.startswith(TOOLS_DIR)
        )
    return total


@contextmanager
def scratch_copy(settings: Settings) -> Iterator[Settings]:
    """Settings on a private copy of the configured SQLite twin, models and knowledge base."""
    if settings.database_url:
        raise typer.BadParameter("the desk benchmark copies the embedded SQLite twin; unset YM_DATABASE_URL")
    source = settings.data_dir / "yardmaster.db"
    if not source.exists() or not (settings.models_dir).exists():
        raise DataMissing(
            f"no seeded and trained twin under {settings.data_dir}: run `yardmaster seed` and `yardmaster train` first"
        )
    with tempfile.TemporaryDirectory(prefix="ym-bench-desk-") as folder:
        target = Path(folder)
        shutil.copy(source, target / "yardmaster.db")
        for part in ("models", "chroma"):
            if (settings.data_dir / part).exists():
                shutil.copytree(settings.data_dir / part, target / part)
        yield settings.model_copy(update={"data_dir": target, "detect_interval_s": 0.0})


def latency(settings: Settings, per_type: int) -> list[Latency]:
    """Warm decisions of every type in one process, timed plainly and again under the profiler for tool time."""
    from graph.desk import open_desk

    results = []
    with scratch_copy(settings) as private, open_desk(private) as desk:
        with desk.toolbox.session() as session:
            cases = exceptions(session, per_type)
        for kind, items in cases.items():
            warm, *timed = items
            desk.submit(warm, actor="bench")
            walls, tools = [], []
            for exception in timed:
                profile = cProfile.Profile()
                start = time.perf_counter()
                profile.enable()
                desk.submit(exception, actor="bench")
                profile.disable()
                walls.append(time.perf_counter() - start)
                tools.append(tool_seconds(profile))
            results.append(
                Latency(
                    type=kind,
                    decisions=len(timed),
                    median_ms=_ms(np.median(walls)),
                    p95_ms=_ms(np.percentile(walls, 95)),
                    tool_median_ms=_ms(np.median(tools)),
                    whole_over_tool=round(float(np.median(np.array(walls) / np.maximum(tools, 1e-6))), 2),
                )
            )
    return results


def _ms(seconds: float) -> float:
    """Seconds as milliseconds, rounded for the report."""
    return round(float(seconds) * 1000, 1)


def _free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def live_server(settings: Settings, workers: int) -> Iterator[tuple[str, str]]:
    """A server on a private twin copy and a loopback port: its base URL and an integrator key; stopped by PID."""
    with scratch_copy(settings) as private:
        engine = make_engine(private.resolved_database_url)
        with Session(engine) as session:
            key = access.create_key(session, "integrator", "bench").key
            session.commit()
        engine.dispose()
        port = _free_port()
        env = {
            **os.environ,
            "YM_DATA_DIR": str(private.data_dir),
            "YM_DETECT_INTERVAL_S": "0",
            "YM_WEBHOOK_INTERVAL_S": "0",
            "PYTHONPATH": str(PROJECT_ROOT),
        }
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "--factory",
                "api.app:create_app",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                str(workers),
                "--log-level",
                "warning",
            ],
            env=env,
            cwd=PROJECT_ROOT,
            start_new_session=True,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            _wait_ready(base, server)
            yield base, key
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()


def _wait_ready(base: str, server: subprocess.Popen, timeout_s: float = 120.0) -> None:
    """Wait until the server answers /readyz, or fail when it exits or the time is up."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the server exited with code {server.returncode}")
        try:
            if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"the server did not become ready within {timeout_s:.0f} s")


def load(base: str, key: str, cases: list[ExceptionIn], concurrency: int) -> Load:
    """Post every case once with `concurrency` clients; count decisions, errors and latencies."""
    headers = {"Authorization": f"Bearer {key}"}

    def post(exception: ExceptionIn) -> tuple[float, bool]:
        start = time.perf_counter()
        try:
            answer = httpx.post(
                f"{base}/v1/exceptions",
                json=exception.model_dump(mode="json", exclude_none=True),
                headers=headers,
                timeout=60,
            )
            ok = answer.status_code in (200, 201, 202)
        except httpx.TransportError:
            ok = False
        return time.perf_counter() - start, ok

    start = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        outcomes = list(pool.map(post, cases))
    seconds = time.perf_counter() - start
    times = [elapsed for elapsed, ok in outcomes if ok]
    errors = sum(not ok for _, ok in outcomes)
    percentile = (lambda q: _ms(np.percentile(times, q))) if times else (lambda _q: 0.0)
    return Load(
        concurrency=concurrency,
        decisions=len(times),
        errors=errors,
        seconds=round(seconds, 2),
        per_second=round(len(times) / seconds, 2),
        p50_ms=percentile(50),
        p95_ms=percentile(95),
        p99_ms=percentile(99),
    )


def live_load(settings: Settings, per_level: int, levels: list[int], workers: int) -> list[Load]:
    """One server; each concurrency level posts its own distinct exceptions, mixed across the types."""
    with live_server(settings, workers) as (base, key):
        engine = make_engine(get_settings().resolved_database_url)
        with Session(engine) as session:
            pool = [
                e for group in zip(*exceptions(session, per_level * len(levels)).values(), strict=False) for e in group
            ]
        engine.dispose()
        return [load(base, key, pool[i * per_level : (i + 1) * per_level], level) for i, level in enumerate(levels)]


def run(per_type: int, per_level: int, levels: list[int], workers: int) -> DeskBench:
    """The whole benchmark on the configured twin."""
    settings, start = get_settings(), time.perf_counter()
    measured = latency(settings, per_type)
    loaded = live_load(settings, per_level, levels, workers) if per_level else []
    return DeskBench(
        latency=measured, load=loaded, server_workers=workers, seconds=round(time.perf_counter() - start, 1)
    )


def describe(result: DeskBench) -> list[str]:
    """Readable lines of the report."""
    lines = [
        f"{row.type.value:24s} median {row.median_ms:7.1f} ms  p95 {row.p95_ms:7.1f} ms  "
        f"tools {row.tool_median_ms:7.1f} ms  whole/tool {row.whole_over_tool:4.2f}"
        for row in result.latency
    ]
    lines += [
        f"concurrency {row.concurrency}: {row.per_second:.2f} decisions/s, p50 {row.p50_ms:.0f} ms, "
        f"p95 {row.p95_ms:.0f} ms, p99 {row.p99_ms:.0f} ms, {row.errors} errors"
        for row in result.load
    ]
    return [*lines, f"{result.seconds:.1f} s in all ({result.server_workers} server workers)"]


@app.command()
def main(
    per_type: int = typer.Option(20, "--per-type", min=1, help="Timed decisions per exception type."),
    per_level: int = typer.Option(40, "--per-level", min=0, help="Exceptions posted per concurrency level; 0 skips."),
    levels: list[int] = typer.Option([1, 4, 8], "--concurrency", help="Concurrent clients (repeatable)."),
    workers: int = typer.Option(1, "--workers", min=1, help="Server worker processes."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Warm latency per exception type, whole/tool time, and a live server's throughput on the seeded twin."""
    report(lambda: run(per_type, per_level, levels, workers), as_json, describe)
