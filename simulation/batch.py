"""Several simulation runs (policies by seeds) at once, one process per core: the runs share the settings and the
seeds' twins they copy, nothing else, so each gives the same result as alone."""

import multiprocessing
import tempfile
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from pathlib import Path
from queue import Empty, Queue

from pydantic import BaseModel, Field

from agents.policy import CohortLevel
from simulation.run import Check, DayKpis, Planner, Policy, SimulationRun, simulate
from simulation.twins import SeededTwins
from twin.settings import Settings
from twin.tradeoff import TradeOffScope

OnDay = Callable[[int, DayKpis], None]  # the index of the run in the batch, and its day's KPIs
SETUP_COST = 10.0  # CPU seconds, about, to set up a run: its twin (built or copied) and its desk
DAY_COST: dict[Policy, float] = {"desk": 10.0, "reactive": 7.0, "rules": 0.6, "none": 0.3}  # CPU seconds a day, about


class RunSpec(BaseModel):
    """One run of a batch: a policy on a seed's fresh twin."""

    policy: Policy
    seed: int
    days: int
    warmup: int = 0
    cooldown: int = 0
    planner: Planner = Planner()
    cohorts: list[CohortLevel] = Field(default_factory=list, description="levels per cohort over the default rules")
    keep_twin: Path | None = Field(default=None, description="a data directory to copy the run's twin into")
    tradeoffs: list[TradeOffScope] = Field(default_factory=list, description="trade-offs put in force first")

    @property
    def cost(self) -> float:
        """The run's rough cost: its twin's setup, then its days at its policy's cost per day."""
        return SETUP_COST + (self.warmup + self.days + self.cooldown) * DAY_COST[self.policy]


def _simulate(
    settings: Settings, spec: RunSpec, check: Check | None, twins: SeededTwins, on_day: Callable[[DayKpis], None]
) -> SimulationRun:
    """One run of the batch, on a copy of its seed's twin."""
    return simulate(
        settings,
        spec.policy,
        spec.days,
        spec.seed,
        spec.planner,
        on_day,
        warmup=spec.warmup,
        cooldown=spec.cooldown,
        check=check,
        cohorts=spec.cohorts,
        keep_twin=spec.keep_twin,
        tradeoffs=spec.tradeoffs,
        twins=twins,
    )


def _in_worker(
    settings: Settings,
    spec: RunSpec,
    check: Check | None,
    twins: SeededTwins,
    index: int,
    days: "Queue[tuple[int, DayKpis]]",
) -> SimulationRun:
    """One run in a worker process, reporting each day to the parent through the queue."""
    return _simulate(settings, spec, check, twins, lambda kpis: days.put((index, kpis)))


def run_batch(
    settings: Settings,
    specs: list[RunSpec],
    jobs: int,
    check: Check | None = None,
    on_day: OnDay = lambda *_: None,
    twins: SeededTwins | None = None,
) -> list[SimulationRun]:
    """The runs in the order of `specs`, `jobs` at a time (in fresh processes when more than one, the costliest
    started first); each seed's twin is built once for the batch, or taken from `twins`."""
    with tempfile.TemporaryDirectory(prefix="ym-twins-") as folder:
        seeded = twins or SeededTwins(Path(folder))
        if jobs <= 1 or len(specs) <= 1:
            return [
                _simulate(settings, spec, check, seeded, lambda kpis, k=index: on_day(k, kpis))
                for index, spec in enumerate(specs)
            ]
        context = multiprocessing.get_context("spawn")  # fresh interpreters: no inherited threads, engines or servers
        with context.Manager() as manager, ProcessPoolExecutor(min(jobs, len(specs)), mp_context=context) as pool:
            days: Queue[tuple[int, DayKpis]] = manager.Queue()
            futures = {
                index: pool.submit(_in_worker, settings, specs[index], check, seeded, index, days)
                for index in costliest_first(specs)
            }
            pending: set[Future[SimulationRun]] = set(futures.values())
            while pending:
                _done, pending = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
                _drain(days, on_day)
            _drain(days, on_day)
            return [futures[index].result() for index in range(len(specs))]


def costliest_first(specs: list[RunSpec]) -> list[int]:
    """The runs' indices, the costliest first: a long run started last would leave the other workers idle at the
    end."""
    return sorted(range(len(specs)), key=lambda index: -specs[index].cost)


def _drain(days: "Queue[tuple[int, DayKpis]]", on_day: OnDay) -> None:
    """Report every day the workers have finished since the last look."""
    while True:
        try:
            index, kpis = days.get_nowait()
        except Empty:
            return
        on_day(index, kpis)
