"""The desk's own speed on the seeded twin: warm decision latency per exception type, whole-decision time against the
time spent in the deterministic tools, `yardmaster handle` started cold in fresh processes, a live server's throughput
under concurrent load, the same latency on twins grown K-fold with a full detector pass per scale, and the speed
targets met or missed (JSON and a chart)."""

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, nullcontext
from itertools import zip_longest
from pathlib import Path

import httpx
import numpy as np
import typer
from pydantic import BaseModel, Field
from sqlmodel import Session, col, select

from agents.schemas import FOUND, Decision, ExceptionIn, ExceptionType, Refs
from bench.data import DataMissing, report
from bench.profile import Split, sampled
from bench.servers import api_server, chroma_server, free_port, running
from twin import access, store
from twin import models as m
from twin.actions import ReplanRoute
from twin.db import make_engine
from twin.settings import PROJECT_ROOT, Settings, get_settings

app = typer.Typer()


TARGET_MEDIAN_MS, TARGET_P95_MS, TARGET_REPLAN_P95_MS = 60.0, 150.0, 600.0
TARGET_WHOLE_OVER_TOOL, TARGET_PER_SECOND, TARGET_SCALE_RATIO = 1.3, 15.0, 1.3
COLD_TYPES = (ExceptionType.late_shipment, ExceptionType.stockout_risk)  # `yardmaster handle` timed from a cold start
OPEN_STATUSES = ("pending_approval", "needs_info")


class DuplicateCase(RuntimeError):
    """A benchmark case was merged into an earlier decision instead of being decided afresh."""


class Latency(BaseModel):
    """Warm in-process decisions of one exception type: wall time, the share of it spent in tools, and the
    decisions that re-planned a route (their own target) apart from the others."""

    type: ExceptionType
    decisions: int
    median_ms: float
    p95_ms: float
    tool_median_ms: float
    whole_over_tool: float
    split_ms: Split  # a profiled decision's mean milliseconds in tools, graph, storage and the rest
    repeat_medians_ms: list[float] = Field(
        default_factory=list, description="the median of each repeat on its own fresh copy: the run-to-run spread"
    )
    replans: int = 0
    plain_median_ms: float | None = None  # decisions without a route re-plan
    plain_p95_ms: float | None = None
    replan_p95_ms: float | None = None  # decisions with a route re-plan


class ColdStart(BaseModel):
    """`yardmaster handle` of one exception type in fresh processes, each on a subject of its own: wall seconds from
    start to exit, each run and their median."""

    type: ExceptionType
    runs_s: list[float]
    median_s: float


class Load(BaseModel):
    """A live server under a fixed number of concurrent clients posting exceptions."""

    concurrency: int
    decisions: int
    errors: int
    error_kinds: dict[str, int] = Field(
        default_factory=dict, description="errors by HTTP status or transport error, with the first answer's start"
    )
    seconds: float
    per_second: float
    p50_ms: float
    p95_ms: float
    p99_ms: float


class ScaleRun(BaseModel):
    """The desk on a twin grown `scale`-fold: latency per type, its ratio to scale 1, and a full detector pass."""

    scale: int
    shipments: int
    trucks: int
    latency: list[Latency]
    median_ratio: dict[ExceptionType, float]  # median latency against the scale-1 twin's, per type
    detect_seconds: float | None = None
    detect_exceptions: int | None = None


class Target(BaseModel):
    """One of the desk's speed targets: what it asks, what was measured, whether it is met."""

    name: str
    target: str
    measured: float
    met: bool


class DeskBench(BaseModel):
    """Latency per type, load per concurrency, the scaled twins, the targets, and where the files went."""

    latency: list[Latency]
    cold: list[ColdStart] = []
    load: list[Load]
    scales: list[ScaleRun] = []
    targets: list[Target] = []
    server_workers: int
    seconds: float
    report: str | None = None
    chart: str | None = None


def say(message: str, bench: str = "desk") -> None:
    """Progress of a benchmark on stderr, so that stdout holds only the result."""
    typer.echo(f"[bench {bench}] {message}", err=True)


def round_robin(offers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Carrier offers reordered so consecutive ones name different carriers (each carrier's lanes in turn)."""
    by_carrier: dict[str, list[tuple[str, str]]] = {}
    for carrier, lane in offers:
        by_carrier.setdefault(carrier, []).append((carrier, lane))
    queues = list(by_carrier.values())
    ordered = []
    for depth in range(max((len(q) for q in queues), default=0)):
        ordered += [queue[depth] for queue in queues if depth < len(queue)]
    return ordered


def subjects(session: Session, per_type: int) -> dict[ExceptionType, list[Refs]]:
    """Subjects of every exception type on the twin, `per_type` each plus one to warm up: distinct for every type
    but carrier capacity, whose subject is the carrier (few): its cases take the carriers in turn."""
    wanted = per_type + 1
    shipments = session.exec(
        select(col(m.Shipment.id))
        .where(col(m.Shipment.status).in_(("in_transit", "planned")))  # on the road, or on a truck's route today
        .order_by(col(m.Shipment.promised_at), col(m.Shipment.id))
        .limit(wanted)
    ).all()
    positions = session.exec(
        select(col(m.InventoryPosition.sku), col(m.InventoryPosition.location)).order_by(
            col(m.InventoryPosition.on_hand), col(m.InventoryPosition.sku)
        )
    ).all()
    trucks = [vehicle.code for vehicle in store.fleet(session)]
    offers = session.exec(
        select(col(m.CarrierLane.carrier), col(m.CarrierLane.lane)).order_by(
            col(m.CarrierLane.lane), col(m.CarrierLane.carrier)
        )
    ).all()
    carriers = round_robin([(carrier, lane) for carrier, lane in offers])
    stock = [Refs(sku=sku, location=dc) for sku, dc in positions]
    return {
        ExceptionType.late_shipment: [Refs(shipment_id=code) for code in shipments],
        ExceptionType.stockout_risk: stock[:wanted],
        ExceptionType.demand_spike: stock[wanted : 2 * wanted],
        ExceptionType.equipment_failure_risk: [Refs(asset_id=code) for code in trucks[:wanted]],
        ExceptionType.carrier_capacity: [
            Refs(carrier=carrier, lane=lane) for carrier, lane in (carriers * (wanted // len(carriers) + 1))[:wanted]
        ],
    }


def exceptions(session: Session, per_type: int) -> dict[ExceptionType, list[ExceptionIn]]:
    """The benchmark's exceptions, by type."""
    return {
        kind: [ExceptionIn(type=kind, refs=refs, source="bench") for refs in refs_list]
        for kind, refs_list in subjects(session, per_type).items()
    }


@contextmanager
def scratch_copy(settings: Settings) -> Iterator[Settings]:
    """Settings on a private copy of the configured SQLite twin, models and knowledge base; a subject decided
    earlier does not absorb a new exception (no merge window), so every case is decided afresh."""
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
        yield settings.model_copy(update={"data_dir": target, "detect_interval_s": 0.0, "duplicate_window_h": 0.0})


def replanned(decision: Decision) -> bool:
    """Whether a decision re-planned a truck's route."""
    return any(isinstance(action, ReplanRoute) for action in decision.actions)


def fresh(decision: Decision, exception: ExceptionIn) -> Decision:
    """The decision, or a loud failure when the case was merged into an earlier one instead of being decided."""
    if decision.duplicate_of:
        raise DuplicateCase(
            f"{exception.type} case {exception.refs.present()} came back as a duplicate of "
            f"{decision.duplicate_of}: the benchmark would time a lookup, not a decision"
        )
    return decision


class Timed(BaseModel):
    """One timed decision: its wall seconds, where its time went (when profiled) and whether it re-planned."""

    wall: float
    split: Split | None = None
    replan: bool

    def parts(self) -> Split:
        """Where the time went, which a profiled decision has (ValueError otherwise)."""
        if self.split is None:
            raise ValueError("a plain timed decision has no split: profile it")
        return self.split

    def tool_s(self) -> float:
        """The seconds spent in tools."""
        return self.parts().tool


def timed_decisions(settings: Settings, per_type: int, label: str, profiled: bool) -> dict[ExceptionType, list[Timed]]:
    """Warm decisions of every type in one process on a fresh copy of the twin, each under the profiler when
    `profiled`. A decision left waiting for approval is rejected after its timing, so its subject is free again."""
    from graph.desk import open_desk
    from graph.state import Verdict

    timed: dict[ExceptionType, list[Timed]] = {}
    with scratch_copy(settings) as private, open_desk(private) as desk:
        with desk.toolbox.session() as session:
            cases = exceptions(session, per_type)

        def decide(exception: ExceptionIn) -> Timed:
            """One timed decision, then the reset of its subject."""
            with sampled() if profiled else nullcontext([]) as parts:
                start = time.perf_counter()
                decision = desk.submit(exception, actor="bench")
                elapsed = time.perf_counter() - start
            if decision.status in OPEN_STATUSES:
                desk.resume(decision.decision_id, Verdict(verdict="reject", actor="bench", reason="benchmark reset"))
            return Timed(
                wall=elapsed,
                split=parts[0] if parts else None,
                replan=replanned(fresh(decision, exception)),
            )

        for kind, items in cases.items():
            warm, *rest = items
            decide(warm)
            timed[kind] = []
            for n, exception in enumerate(rest, 1):
                timed[kind].append(decide(exception))
                if n % 5 == 0 or n == len(rest):
                    say(f"{label}: {kind.value} {n}/{len(rest)}")
    return timed


def latency(settings: Settings, per_type: int, label: str = "latency", repeats: int = 1) -> list[Latency]:
    """Warm decisions of every type timed plainly, `repeats` times on fresh copies, then the same cases on a fresh copy
    under the sampling profiler for where the time goes (tools, graph, storage, other; the ratio compares profiled
    times with each other)."""
    plain = [
        timed_decisions(settings, per_type, f"{label} {n}/{repeats}" if repeats > 1 else label, profiled=False)
        for n in range(1, repeats + 1)
    ]
    profiled = timed_decisions(settings, per_type, f"{label} (profiled)", profiled=True)
    return [summarise(kind, [run[kind] for run in plain], profiled[kind]) for kind in profiled]


def summarise(kind: ExceptionType, repeats: list[list[Timed]], profiled: list[Timed]) -> Latency:
    """The latency row of one type: wall times from the plain repeats pooled (and each repeat's median), tool share
    from the profiled run."""
    plain = [case for run in repeats for case in run]
    walls = [case.wall for case in plain]
    without = [case.wall for case in plain if not case.replan]
    with_replan = [case.wall for case in plain if case.replan]
    return Latency(
        type=kind,
        decisions=len(walls),
        median_ms=_ms(np.median(walls)),
        p95_ms=_ms(np.percentile(walls, 95)),
        tool_median_ms=_ms(np.median([case.tool_s() for case in profiled])),
        whole_over_tool=round(float(np.median([case.wall / max(case.tool_s(), 1e-6) for case in profiled])), 2),
        split_ms=mean_split([case.parts() for case in profiled]),
        repeat_medians_ms=[_ms(np.median([case.wall for case in run])) for run in repeats],
        replans=len(with_replan),
        plain_median_ms=_ms(np.median(without)) if without else None,
        plain_p95_ms=_ms(np.percentile(without, 95)) if without else None,
        replan_p95_ms=_ms(np.percentile(with_replan, 95)) if with_replan else None,
    )


def mean_split(splits: list[Split]) -> Split:
    """The mean split of some decisions, in milliseconds rounded for the report."""
    total = Split()
    for part in splits:
        total = total.plus(part)
    mean = total.scaled(1000 / max(len(splits), 1))
    return Split(**{name: round(value, 1) for name, value in mean.model_dump().items()})


def _ms(seconds: float) -> float:
    """Seconds as milliseconds, rounded for the report."""
    return round(float(seconds) * 1000, 1)


class Server(BaseModel):
    """A live benchmark server: its base URL, a key to report exceptions and a key to reject decisions."""

    base: str
    reporter_key: str
    planner_key: str


def cold_starts(settings: Settings, runs: int) -> list[ColdStart]:
    """`runs` fresh `yardmaster handle` processes per type of `COLD_TYPES` on a private copy of the twin."""
    with scratch_copy(settings) as private:
        with Session(make_engine(private.resolved_database_url)) as session:
            cases = exceptions(session, runs)
        environment = {**os.environ, "YM_DATA_DIR": str(private.data_dir), "YM_DUPLICATE_WINDOW_H": "0"}
        return [cold_start(kind, cases[kind][:runs], environment) for kind in COLD_TYPES]  # no warm-up case: cold


def cold_start(kind: ExceptionType, cases: list[ExceptionIn], environment: dict[str, str]) -> ColdStart:
    """The wall time of each case handled by a new `yardmaster handle` process, and their median."""
    runs = []
    for exception in cases:
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "cli", "handle", "-"],
            input=exception.model_dump_json(exclude_none=True),
            capture_output=True,
            text=True,
            check=True,
            env=environment,
            cwd=PROJECT_ROOT,
        )
        runs.append(round(time.perf_counter() - start, 2))
    return ColdStart(type=kind, runs_s=runs, median_s=round(statistics.median(runs), 2))


@contextmanager
def knowledge_server(private: Settings, workers: int) -> Iterator[dict[str, str]]:
    """The server's Chroma setting: with several worker processes and no Chroma server configured, a Chroma server
    on the private copy's knowledge base (the embedded one serves one process only)."""
    if workers == 1 or private.chroma_url:
        yield {}
        return
    port = free_port()
    with running(chroma_server(private.chroma_dir, port)):
        yield {"YM_CHROMA_URL": f"http://127.0.0.1:{port}"}


@contextmanager
def live_server(settings: Settings, workers: int) -> Iterator[Server]:
    """A server on a private twin copy and a loopback port, with its keys; stopped by its process group."""
    with scratch_copy(settings) as private, knowledge_server(private, workers) as chroma:
        engine = make_engine(private.resolved_database_url)
        with Session(engine) as session:
            reporter = access.create_key(session, "integrator", "bench").key
            planner = access.create_key(session, "planner", "bench-planner").key
            session.commit()
        engine.dispose()
        port = free_port()
        env = {
            **os.environ,
            "YM_DATA_DIR": str(private.data_dir),
            "YM_DETECT_INTERVAL_S": "0",
            "YM_WEBHOOK_INTERVAL_S": "0",
            "YM_DUPLICATE_WINDOW_H": "0",
            "PYTHONPATH": str(PROJECT_ROOT),
            **chroma,
        }
        with running(api_server(env, port, workers, ready_path="/readyz")):
            yield Server(base=f"http://127.0.0.1:{port}", reporter_key=reporter, planner_key=planner)


def load(server: Server, cases: list[ExceptionIn], concurrency: int) -> Load:
    """Post every case once with `concurrency` clients; count decisions, errors and latencies. Afterwards (untimed)
    reject what waits for approval, so the next level's cases on the same subjects are decided afresh."""
    headers = {"Authorization": f"Bearer {server.reporter_key}"}

    failures: Counter[str] = Counter()

    def post(exception: ExceptionIn) -> tuple[float, dict | None]:
        start = time.perf_counter()
        try:
            answer = httpx.post(
                f"{server.base}/v1/exceptions",
                json=exception.model_dump(mode="json", exclude_none=True),
                headers=headers,
                timeout=60,
            )
            body = answer.json() if answer.status_code in (200, 201, 202) else None
            if body is None:
                failures[f"HTTP {answer.status_code}: {answer.text[:120]}"] += 1
        except (httpx.TransportError, ValueError) as error:
            body = None
            failures[f"{type(error).__name__}: {str(error)[:120]}"] += 1
        return time.perf_counter() - start, body

    start = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        outcomes = list(pool.map(post, cases))
    seconds = time.perf_counter() - start
    for exception, (_elapsed, body) in zip(cases, outcomes, strict=True):
        if body and body.get("duplicate_of"):
            fresh(Decision.model_validate(body), exception)
    _reject_waiting(server, [body for _elapsed, body in outcomes if body])
    times = [elapsed for elapsed, body in outcomes if body is not None]
    errors = sum(body is None for _elapsed, body in outcomes)
    percentile = (lambda q: _ms(np.percentile(times, q))) if times else (lambda _q: 0.0)
    return Load(
        concurrency=concurrency,
        decisions=len(times),
        errors=errors,
        error_kinds=dict(failures.most_common(5)),
        seconds=round(seconds, 2),
        per_second=round(len(times) / seconds, 2),
        p50_ms=percentile(50),
        p95_ms=percentile(95),
        p99_ms=percentile(99),
    )


def _reject_waiting(server: Server, decisions: list[dict]) -> None:
    """Reject, as a planner, every posted decision left waiting for approval."""
    headers = {"Authorization": f"Bearer {server.planner_key}"}
    for body in decisions:
        if body.get("status") == "pending_approval" and body.get("decision_id"):
            httpx.post(
                f"{server.base}/v1/decisions/{body['decision_id']}/reject",
                json={"reason": "benchmark reset"},
                headers=headers,
                timeout=60,
            )


def level_cases(cases: dict[ExceptionType, list[ExceptionIn]], per_level: int, levels: int) -> list[list[ExceptionIn]]:
    """Each concurrency level's exceptions, mixed across the types: distinct subjects within a level, and no
    subject shared between levels except carriers (too few), whose earlier decisions are settled in between."""
    share = -(-per_level // len(cases))
    carriers = cases[ExceptionType.carrier_capacity]
    distinct_carriers = len({e.refs.carrier for e in carriers})
    pools = []
    for level in range(levels):
        groups = [
            items[:distinct_carriers][: min(share, distinct_carriers)]
            if kind == ExceptionType.carrier_capacity
            else items[level * share : (level + 1) * share]
            for kind, items in cases.items()
        ]
        pools.append([e for group in zip_longest(*groups) for e in group if e is not None][:per_level])
    return pools


def live_load(settings: Settings, per_level: int, levels: list[int], workers: int) -> list[Load]:
    """One server with `workers` processes; each concurrency level posts its own mix of exceptions."""
    with live_server(settings, workers) as server:
        engine = make_engine(settings.resolved_database_url)
        with Session(engine) as session:
            cases = exceptions(session, -(-per_level // len(FOUND)) * len(levels))
        engine.dispose()
        results = []
        for level, pool in zip(levels, level_cases(cases, per_level, len(levels)), strict=True):
            say(f"live server ({workers} workers): {len(pool)} exceptions at concurrency {level}")
            results.append(load(server, pool, level))
        return results


@contextmanager
def scaled_twin(settings: Settings, scale: int) -> Iterator[Settings]:
    """A data directory holding the configured twin's scenario grown `scale`-fold, with its models and knowledge
    base (the models are the configured ones: training is not what this measures)."""
    from twin import seed as scenario
    from twin.db import migrate

    with scratch_copy(settings) as private:  # no twin to copy: DataMissing
        target = private.data_dir / "yardmaster.db"
        engine = make_engine(f"sqlite:///{target}")
        with Session(engine) as session:
            seed = int(store.meta(session).get("seed", "7"))
        engine.dispose()
        target.unlink()
        engine = make_engine(f"sqlite:///{target}")
        migrate(engine)
        scenario.load(engine, scenario.generate(seed, scale=scale))
        engine.dispose()
        yield private


def detect_pass(settings: Settings) -> tuple[float, int]:
    """Seconds of one full detector pass (score, raise and decide what it finds) and the exceptions it raised."""
    from graph.desk import open_desk

    with scratch_copy(settings) as private, open_desk(private) as desk:
        start = time.perf_counter()
        handled = desk.detect()
        return round(time.perf_counter() - start, 2), len(handled)


def scaled(settings: Settings, scales: list[int], per_type: int, detect: bool) -> list[ScaleRun]:
    """The same latency (and detector pass) on twins grown to each scale, built alike; ratios against scale 1."""
    runs: list[ScaleRun] = []
    for scale in sorted({1, *scales}):
        say(f"scale {scale}: building the twin")
        with scaled_twin(settings, scale) as twin:
            engine = make_engine(twin.resolved_database_url)
            with Session(engine) as session:
                summary = store.summary(session)
            engine.dispose()
            rows = latency(twin, per_type, label=f"scale {scale}")
            seconds, found = (None, None)
            if detect:
                say(f"scale {scale}: full detector pass")
                seconds, found = detect_pass(twin)
        base = {row.type: row.median_ms for row in (runs[0].latency if runs else rows)}
        runs.append(
            ScaleRun(
                scale=scale,
                shipments=summary["shipments"],
                trucks=summary["trucks"],
                latency=rows,
                median_ratio={row.type: round(row.median_ms / max(base[row.type], 1e-3), 2) for row in rows},
                detect_seconds=seconds,
                detect_exceptions=found,
            )
        )
    return runs


def targets(latencies: list[Latency], loads: list[Load], scales: list[ScaleRun]) -> list[Target]:
    """The desk's targets against what was measured (only those the run measured)."""
    found: list[Target] = []

    def check(name: str, wanted: str, measured: float | None, met: bool) -> None:
        if measured is not None:
            found.append(Target(name=name, target=wanted, measured=measured, met=met))

    for row in latencies:
        check(
            f"{row.type.value}: median without re-plan",
            f"<= {TARGET_MEDIAN_MS:g} ms",
            row.plain_median_ms,
            row.plain_median_ms is not None and row.plain_median_ms <= TARGET_MEDIAN_MS,
        )
        check(
            f"{row.type.value}: p95 without re-plan",
            f"<= {TARGET_P95_MS:g} ms",
            row.plain_p95_ms,
            row.plain_p95_ms is not None and row.plain_p95_ms <= TARGET_P95_MS,
        )
        check(
            f"{row.type.value}: p95 with a route re-plan",
            f"<= {TARGET_REPLAN_P95_MS:g} ms",
            row.replan_p95_ms,
            row.replan_p95_ms is not None and row.replan_p95_ms <= TARGET_REPLAN_P95_MS,
        )
        check(
            f"{row.type.value}: whole/tool time",
            f"<= {TARGET_WHOLE_OVER_TOOL:g}",
            row.whole_over_tool,
            row.whole_over_tool <= TARGET_WHOLE_OVER_TOOL,
        )
    if loads:
        best = max(row.per_second for row in loads)
        check("live server: decisions/s (best level)", f">= {TARGET_PER_SECOND:g}", best, best >= TARGET_PER_SECOND)
        errors = sum(row.errors for row in loads)
        check("live server: errors", "0", errors, errors == 0)
    if len(scales) > 1:
        largest = scales[-1]
        worst = max(largest.median_ratio.values())
        check(
            f"{largest.scale}-fold twin: worst per-type median ratio",
            f"<= {TARGET_SCALE_RATIO:g}",
            worst,
            worst <= TARGET_SCALE_RATIO,
        )
        if scales[0].detect_seconds:
            growth = max((run.detect_seconds or 0) / scales[0].detect_seconds / run.scale for run in scales[1:])
            check("detect pass: growth over scale (1 = linear)", "<= 1", round(growth, 2), growth <= 1)
    return found


def write_chart(result: DeskBench, path: Path) -> Path:
    """A PNG of median latency per exception type against the twin's scale (and the detector pass beside it)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    panels = 2 if any(run.detect_seconds for run in result.scales) else 1
    figure, axes = plt.subplots(1, panels, figsize=(6 * panels, 4.2), squeeze=False)
    latency_axis = axes[0][0]
    scales = [run.scale for run in result.scales]
    for kind in FOUND:
        medians = [next(row.median_ms for row in run.latency if row.type == kind) for run in result.scales]
        latency_axis.plot(scales, medians, marker="o", label=kind.value)
    latency_axis.axhline(TARGET_MEDIAN_MS, color="grey", linestyle="--", linewidth=1, label="median target")
    latency_axis.set(
        xlabel="twin scale (x reference network)",
        ylabel="median decision latency (ms)",
        title="Warm decision latency per type",
        xticks=scales,
    )
    latency_axis.grid(alpha=0.3)
    latency_axis.legend(fontsize=7)
    if panels == 2:
        detect_axis = axes[0][1]
        seconds = [run.detect_seconds or 0 for run in result.scales]
        detect_axis.plot(scales, seconds, marker="o", label="measured")
        detect_axis.plot(scales, [seconds[0] * scale for scale in scales], linestyle="--", color="grey", label="linear")
        detect_axis.set(
            xlabel="twin scale (x reference network)", ylabel="seconds", title="Full detector pass", xticks=scales
        )
        detect_axis.grid(alpha=0.3)
        detect_axis.legend(fontsize=7)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


class Options(BaseModel):
    """How much the benchmark measures."""

    per_type: int
    repeats: int
    per_level: int
    levels: list[int]
    workers: int
    scales: list[int]
    detect: bool
    cold_runs: int
    report_dir: Path | None


def run(options: Options) -> DeskBench:
    """The whole benchmark on the configured twin; the JSON report and its chart are written to the report folder."""
    settings, start = get_settings(), time.perf_counter()
    measured = latency(settings, options.per_type, repeats=options.repeats)
    cold = cold_starts(settings, options.cold_runs) if options.cold_runs else []
    loaded = live_load(settings, options.per_level, options.levels, options.workers) if options.per_level else []
    grown = scaled(settings, options.scales, options.per_type, options.detect) if options.scales else []
    result = DeskBench(
        latency=measured,
        cold=cold,
        load=loaded,
        scales=grown,
        targets=targets(measured, loaded, grown),
        server_workers=options.workers,
        seconds=round(time.perf_counter() - start, 1),
    )
    if options.report_dir:
        options.report_dir.mkdir(parents=True, exist_ok=True)
        if grown:
            result.chart = str(write_chart(result, options.report_dir / "desk-bench.png"))
        result.report = str(options.report_dir / "desk-bench.json")
        Path(result.report).write_text(result.model_dump_json(indent=2))
        say(f"report written to {result.report}" + (f", chart to {result.chart}" if result.chart else ""))
    return result


def describe(result: DeskBench) -> list[str]:
    """Readable lines of the report."""
    lines = []
    for row in result.latency:
        lines += [
            f"{row.type.value:24s} median {row.median_ms:7.1f} ms  p95 {row.p95_ms:7.1f} ms  "
            f"tools {row.tool_median_ms:7.1f} ms  whole/tool {row.whole_over_tool:4.2f}  re-plans {row.replans}",
            f"{'':24s} median of each repeat: "
            + ", ".join(f"{median:.1f}" for median in row.repeat_medians_ms)
            + " ms",
            f"{'':24s} profiled, mean ms: tools {row.split_ms.tool:.1f}, graph {row.split_ms.graph:.1f}, "
            f"storage {row.split_ms.storage:.1f}, other {row.split_ms.other:.1f}",
        ]
    lines += [
        f"cold handle {row.type.value:12s} median {row.median_s:.2f} s of {len(row.runs_s)} fresh processes"
        for row in result.cold
    ]
    lines += [
        f"concurrency {row.concurrency}: {row.per_second:.2f} decisions/s, p50 {row.p50_ms:.0f} ms, "
        f"p95 {row.p95_ms:.0f} ms, p99 {row.p99_ms:.0f} ms, {row.errors} errors"
        + "".join(f"; {count}x {kind}" for kind, count in row.error_kinds.items())
        for row in result.load
    ]
    lines += [
        f"scale {run.scale} ({run.shipments} shipments, {run.trucks} trucks): median ratio "
        + ", ".join(f"{kind.value} {ratio:.2f}" for kind, ratio in run.median_ratio.items())
        + (
            f"; detect pass {run.detect_seconds:.1f} s ({run.detect_exceptions} exceptions)"
            if run.detect_seconds
            else ""
        )
        for run in result.scales
    ]
    lines += [f"{'met ' if t.met else 'MISS'} {t.name}: {t.measured:g} (target {t.target})" for t in result.targets]
    return [*lines, f"{result.seconds:.1f} s in all ({result.server_workers} server workers)"]


def _scales(text: str) -> list[int]:
    """Comma-separated twin scales, each at least 1 (empty: none)."""
    try:
        values = [int(part) for part in text.split(",") if part.strip()]
    except ValueError as error:
        raise typer.BadParameter(f"--scales: {text!r} is not a comma-separated list of integers") from error
    if any(value < 1 for value in values):
        raise typer.BadParameter("--scales: every scale must be at least 1")
    return values


@app.command()
def main(
    per_type: int = typer.Option(20, "--per-type", min=1, help="Timed decisions per exception type."),
    repeats: int = typer.Option(
        3, "--repeats", min=1, help="Timed runs of the decisions, each on a fresh copy (their spread is reported)."
    ),
    per_level: int = typer.Option(40, "--per-level", min=0, help="Exceptions posted per concurrency level; 0 skips."),
    levels: list[int] = typer.Option([1, 4, 8], "--concurrency", help="Concurrent clients (repeatable)."),
    workers: int = typer.Option(2, "--workers", min=1, help="Server worker processes."),
    scales: str = typer.Option("2,4,8", "--scales", help="Grown twins to measure against scale 1; empty skips."),
    detect: bool = typer.Option(True, "--detect/--no-detect", help="Time a full detector pass at each scale."),
    cold_runs: int = typer.Option(5, "--cold-runs", min=0, help="Fresh `handle` processes per type; 0 skips."),
    report_dir: Path = typer.Option(
        PROJECT_ROOT / "reports", "--report-dir", help="Folder of the JSON report and the chart (desk-bench.*)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Warm latency per exception type, whole/tool time, cold `handle` starts, a live server's throughput, the same on twins grown
    2, 4 and 8-fold with the detector pass, and the targets met or missed."""
    options = Options(
        per_type=per_type,
        repeats=repeats,
        per_level=per_level,
        levels=levels,
        workers=workers,
        scales=_scales(scales),
        detect=detect,
        cold_runs=cold_runs,
        report_dir=report_dir,
    )
    report(lambda: run(options), as_json, describe)
