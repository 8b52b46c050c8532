"""The eval runner: every case decided by the desk on a fresh copy of the pristine seeded twin, with the trained
models, a private knowledge base and the chat model loaded once for the whole run."""

import hashlib
import logging
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from langgraph.checkpoint.memory import InMemorySaver
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from agents import explain
from agents.language.intent import extract
from agents.llm import make_chat_model
from agents.modelbook import load_all, trained
from agents.policy import PolicyRule, cohort_of, ensure_defaults, evaluate, rules
from agents.schemas import Decision, ExceptionIn, PolicyVerdict
from agents.toolbox import Toolbox
from evals.cases import SEED, Case, PolicyOverride, TwinEdit, load_cases, suite_names
from evals.chat.suite import CHAT_SUITE, evaluate_chat
from evals.judge import judge
from evals.metrics import CaseRun, score
from evals.report import EvalReport, build_report, table, write
from evals.soundness import forecast_horizon_gaps
from evals.twin_edits import apply_edit, store_rules
from graph.desk import Desk
from tools.knowledge import KnowledgeBase, open_client
from twin import models as m
from twin import seed as scenario
from twin import store
from twin.db import make_engine, migrate
from twin.settings import PROJECT_ROOT, Settings

ACTOR = "eval"
# The twin's entity tables (decisions aside) and the records a justification may name besides them.
CODE_TABLES = {
    *(table for kind, table in store.ENTITY_TABLES.items() if kind != "decision"),
    m.Order,
    m.Route,
    m.WorkOrder,
}


def twin_codes(session: Session) -> frozenset[str]:
    """Every entity code the twin holds: sites, customers, SKUs, carriers, lanes, trucks, shipments, orders,
    routes and work orders."""
    keys = [next(iter(table.__table__.primary_key.columns)) for table in CODE_TABLES]
    return frozenset(code for key in keys for code in session.exec(select(key)).all())


def template_fingerprint() -> str:
    """A hash of the twin's code (tables, generator, network), naming a cached seeded template."""
    digest = hashlib.sha256()
    for path in sorted((PROJECT_ROOT / "twin").glob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def seeded_template(folder: Path) -> Path:
    """A SQLite file holding the reference network of seed SEED, built once per version of the twin's code."""
    path = folder / f"twin-seed{SEED}-{template_fingerprint()}.db"
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        building = path.with_suffix(".building")
        engine = make_engine(f"sqlite:///{building}")
        migrate(engine)
        scenario.load(engine, scenario.generate(SEED))
        engine.dispose()
        building.rename(path)
    return path


def _tier(session: Session, exception: ExceptionIn) -> str | None:
    """The tier of the customer of the shipment the exception names (explicitly or in its text), if any."""
    named = exception.refs.shipment_id or extract(exception.description or "").get("shipment_id")
    shipment = session.get(m.Shipment, named) if isinstance(named, str) else None
    return store.customer_tier(session, shipment.destination) if shipment else None


def resolve(override: PolicyOverride, probe: Decision | None) -> PolicyRule:
    """The rule to store: a relative bound set from the probe decision's own cost or confidence."""
    update: dict[str, float] = {}
    if override.cost_margin_usd is not None:
        cost = _probed(probe).expected_impact.cost_usd
        update["max_cost_usd"] = max(0.0, round(cost + override.cost_margin_usd, 2))
    if override.confidence_margin is not None:
        confidence = _probed(probe).confidence
        update["min_confidence"] = min(1.0, max(0.0, round(confidence + override.confidence_margin, 4)))
    return override.rule.model_copy(update=update)


def _probed(probe: Decision | None) -> Decision:
    """The probe decision a relative policy bound is set from (ValueError when none was made)."""
    if probe is None:
        raise ValueError("a relative policy bound needs the probe decision")
    return probe


class Harness:
    """The parts shared by every case (models, knowledge base, chat model, one compiled desk) and the pristine
    twin each case copies."""

    def __init__(self, settings: Settings, seeded: Path, workdir: Path) -> None:
        """Copy the seeded SQLite file into `workdir` with the default policies, load models, index procedures."""
        workdir.mkdir(parents=True, exist_ok=True)
        self.workdir = workdir
        self.template = workdir / "template.db"
        shutil.copy(seeded, self.template)
        engine = make_engine(self._url(self.template))
        migrate(engine)
        with Session(engine) as session:
            ensure_defaults(session)
            session.commit()
            self.codes = twin_codes(session)
        engine.dispose()
        self.settings = settings
        self.models = load_all(settings.models_dir)
        local = settings.model_copy(update={"data_dir": workdir, "chroma_url": None})
        self.knowledge = KnowledgeBase(open_client(local))
        self.knowledge.index_procedures()
        self.llm = make_chat_model(settings)
        self.desk: Desk | None = None
        self.forecast_gaps: list[str] = []

    @staticmethod
    def _url(path: Path) -> str:
        """The SQLAlchemy URL of a SQLite file."""
        return f"sqlite:///{path}"

    def _toolbox(self, engine: Engine) -> Toolbox:
        """A toolbox on one case's twin with the shared models, knowledge base and chat model."""
        return Toolbox(
            engine=engine, models=self.models, knowledge=self.knowledge, llm=self.llm, settings=self.settings
        )

    @contextmanager
    def fresh_twin(self) -> Iterator[Engine]:
        """A private copy of the pristine twin, gone afterwards (its decisions are not indexed as precedents: the
        desk runs without indexing, so every case meets the same knowledge base)."""
        path = self.workdir / "case.db"
        shutil.copy(self.template, path)
        engine = make_engine(self._url(path))
        try:
            yield engine
        finally:
            engine.dispose()
            path.unlink()

    def decide(
        self, exception: ExceptionIn, stored: list[PolicyRule], edit: TwinEdit | None = None
    ) -> tuple[Decision, PolicyVerdict | None]:
        """The desk's decision on a fresh twin holding the rules (and edit), and the policy recomputed there; the
        forecasts it cites are checked against the longest horizon on the same twin."""
        with self.fresh_twin() as engine:
            with Session(engine) as session:
                store_rules(session, stored)
                if edit:
                    apply_edit(session, edit)
                session.commit()
            toolbox = self._toolbox(engine)
            if self.desk is None:
                self.desk = Desk(toolbox, InMemorySaver(), indexing="sweep")
            self.desk.toolbox = toolbox  # one compiled graph serves every case; only the twin changes
            decision = self.desk.submit(exception, actor=ACTOR)
            with Session(engine) as session:
                verdict = (
                    evaluate(
                        rules(session),
                        decision.actions,
                        [cohort_of(session, action) for action in decision.actions],
                        decision.expected_impact.cost_usd,
                        decision.confidence,
                        _tier(session, exception),
                    )
                    if decision.actions
                    else None
                )
                self.forecast_gaps = forecast_horizon_gaps(self.models.demand, session, decision)
        return decision, verdict

    def _decide_case(self, case: Case, edit: TwinEdit | None) -> tuple[Decision, PolicyVerdict | None]:
        """Decide a case; relative policy bounds are first set from a probe decision under the other rules."""
        fixed = [override.rule for override in case.policy if not override.relative]
        probe = None
        if any(override.relative for override in case.policy):
            probe, _ = self.decide(case.exception, fixed, edit)
        return self.decide(case.exception, [resolve(override, probe) for override in case.policy], edit)

    def run_case(self, case: Case) -> CaseRun:
        """Run one case and its counterfactual; an error is recorded in the result, not raised (a failed
        counterfactual keeps the case's decision)."""
        start = time.perf_counter()
        decision = verdict = counterfactual = error = None
        gaps: list[str] = []
        try:
            decision, verdict = self._decide_case(case, None)
            gaps = self.forecast_gaps
            if case.counterfactual:
                counterfactual = self._decide_case(case, case.counterfactual.edit)[0]
        except Exception as raised:  # a case that crashes fails its metrics; the run goes on
            stage = "counterfactual: " if decision else ""
            error = f"{stage}{type(raised).__name__}: {raised}"
        return CaseRun(
            case=case,
            decision=decision,
            policy_expected=verdict,
            counterfactual=counterfactual,
            error=error,
            forecast_gaps=gaps,
            seconds=round(time.perf_counter() - start, 3),
        )

    def run(self, cases: list[Case], progress: Callable[[CaseRun], None] = lambda _run: None) -> list[CaseRun]:
        """Run the cases in order, reporting each as it finishes."""
        runs = []
        for case in cases:
            runs.append(self.run_case(case))
            progress(runs[-1])
        return runs


def evaluate_suites(
    harness: Harness, suites: list[str] | None = None, progress: Callable[[CaseRun], None] = lambda _run: None
) -> EvalReport:
    """Run the named suites (all by default) and score them; the LLM judge is added when the chat model is an
    OpenAI-compatible endpoint."""
    start, at = time.perf_counter(), datetime.now(UTC)
    runs = harness.run(load_cases(suites), progress)
    metrics = score(runs, harness.codes)
    if harness.settings.llm.strip().lower() == "openai":
        metrics += judge(runs, harness.llm)
    return build_report(runs, metrics, suites or suite_names(), harness.settings.llm, at, time.perf_counter() - start)


def main(settings: Settings, suites: list[str] | None, as_json: bool, report_path: str | None) -> int:
    """The `yardmaster eval` command: progress on stderr, the table (or JSON) on stdout, the reports written;
    returns the exit code (1 when a gate fails, 2 when the models are not trained or a suite is unknown)."""
    errors = Console(stderr=True)
    unknown = sorted(set(suites or []) - {*suite_names(), CHAT_SUITE})
    if unknown:
        errors.print(f"error: unknown suite {', '.join(unknown)}; known: {', '.join([*suite_names(), CHAT_SUITE])}")
        return 2
    if not trained(settings.models_dir):
        errors.print(
            f"error: no trained models in {settings.models_dir}; run `yardmaster seed` and `yardmaster train` first"
        )
        return 2
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=errors) as bar, tempfile.TemporaryDirectory(prefix="ym-eval-") as workdir:
        task = bar.add_task(f"seeding the reference network (seed {SEED})", total=None)
        seeded = seeded_template(settings.data_dir / "evals")
        bar.update(task, description="loading models and procedures")
        harness = Harness(settings, seeded, Path(workdir))
        logging.getLogger(explain.__name__).setLevel(logging.ERROR)  # dropped claims are reported as claims_kept
        if suites and CHAT_SUITE in suites:
            if set(suites) != {CHAT_SUITE}:
                errors.print(f"error: run the {CHAT_SUITE} suite on its own")
                return 2
            bar.update(task, description="running the chat suite")
            report = evaluate_chat(harness)
        else:
            bar.update(task, total=len(load_cases(suites)), description="running cases")
            report = evaluate_suites(harness, suites, lambda run: bar.update(task, advance=1, description=run.case.id))
    json_path = write(report, Path(report_path) if report_path else settings.data_dir / "evals" / "report.md")
    if as_json:
        print(report.model_dump_json(indent=2))
    else:
        Console().print(table(report))
    errors.print(f"reports: {json_path.with_suffix('.md')} and {json_path}")
    return 0 if report.ok else 1
