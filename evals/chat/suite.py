"""The chat suite: the understanding layer scored on the utterances it was built from and on the held-out ones, and
every held-out utterance run as a chat turn on a fresh twin (no exception without a yes, answers checked against
the turn's tool results by an independent token check, acts refused exactly for the roles the REST API refuses)."""

import json
import re
import time
from datetime import UTC, datetime
from typing import Literal

from langgraph.checkpoint.memory import InMemorySaver
from pydantic import BaseModel, Field
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sqlmodel import Session, func, select

from agents.language.slots import Slots, read_slots
from agents.language.understanding import (
    ACTS,
    REGULARISATION_C,
    REPORT_PREFIX,
    UTTERANCES_PATH,
    IntentName,
    features,
    framed,
    understand_all,
)
from agents.schemas import Decision
from agents.toolbox import Toolbox
from chat.graph import (
    ChatEvent,
    FinalEvent,
    ToolResultEvent,
    build_chat_graph,
    chat_events,
)
from chat.tools.registry import ACT_ROLES
from evals.chat import HELDOUT_PATH, compositional
from evals.metrics import Failure, MetricResult
from evals.report import EvalReport
from graph.desk import Desk
from twin import models as m
from twin.actions import GOVERNANCE_ACTIONS

CHAT_SUITE = "chat"
GATES = {
    "intent_accuracy": 0.95,
    "intent_accuracy_cross_validated": 0.0,
    "slot_f1": 0.95,
    "abstains_when_ambiguous": 1.0,
    "no_exception_without_yes": 1.0,
    "answers_supported": 1.0,
    "role_refusals_correct": 1.0,
    "typed_query_accuracy": 0.90,
}
# Who may do each act through the REST API, written from the routers, not from the chat's tools: POST
# /v1/exceptions needs integrator or planner; the verdict endpoints let planners and architects through to the
# decision, which a planner decides unless one of its actions governs a model (then an architect); admin passes
# every check. A verdict on a decision not in the twin is a 404 for every role let through, not a refusal.
REPORT_ROLES = {"integrator", "planner", "admin"}
VERDICT_ROLES = {"planner", "architect", "admin"}
DECIDER_ROLES = {"planner", "admin"}
GOVERNANCE_ROLES = {"architect", "admin"}
ROLES = ("viewer", "planner", "architect", "integrator", "admin")
ACT_TOOLS = tuple(ACT_ROLES)
CV_FOLDS = 5
_NUMBER = re.compile(r"(?<![\w.-])-?\d+(?:,\d{3})*(?:\.\d+)?")


class LabelledUtterance(BaseModel):
    """A labelled utterance of the suite; `ambiguous` ones must get a clarifying question."""

    text: str
    intent: IntentName | Literal["ambiguous"]
    slots: Slots = Field(default_factory=Slots)


def load(path) -> list[LabelledUtterance]:
    """The utterances of a JSONL file."""
    return [LabelledUtterance.model_validate_json(line) for line in path.read_text().splitlines() if line.strip()]


def _metric(name: str, passed: int, total: int, failures: list[Failure], gated: bool) -> MetricResult:
    """A metric result, gated on the held-out part only."""
    return MetricResult(
        name=name,
        value=passed / total if total else 1.0,
        passed=passed,
        total=total,
        gate=GATES[name.split(".")[-1]] if gated else None,
        failures=failures[:20],
    )


def understanding_metrics(part: str, rows: list[LabelledUtterance], gated: bool) -> list[MetricResult]:
    """Intent accuracy, slot F1 and abstention on ambiguous utterances for one part."""
    readings = understand_all([row.text for row in rows])
    right, failures, ambiguous_ok, ambiguous_failures = 0, [], 0, []
    true_pos = false_pos = false_neg = 0
    for row, reading in zip(rows, readings, strict=True):
        if row.intent == "ambiguous":
            acted = reading.intent in ACTS or reading.intent.startswith(REPORT_PREFIX)
            if reading.abstained or (reading.intent == "help" and not acted):
                ambiguous_ok += 1
            else:
                ambiguous_failures.append(Failure(case_id=row.text, detail=f"read as {reading.intent}"))
            continue
        if reading.intent == row.intent and not reading.abstained:
            right += 1
        else:
            failures.append(
                Failure(
                    case_id=row.text,
                    detail=f"expected {row.intent}, read {reading.intent} "
                    f"({reading.confidence}{', abstained' if reading.abstained else ''})",
                )
            )
        expected = {(k, json.dumps(v)) for k, v in framed(row.intent, row.slots).present().items()}
        got = {(k, json.dumps(v)) for k, v in framed(reading.intent, read_slots(row.text)).present().items()}
        true_pos, false_pos, false_neg = (
            true_pos + len(expected & got),
            false_pos + len(got - expected),
            false_neg + len(expected - got),
        )
    clear = [row for row in rows if row.intent != "ambiguous"]
    slot_total = 2 * true_pos + false_pos + false_neg
    slot = MetricResult(
        name=f"{part}.slot_f1",
        value=2 * true_pos / slot_total if slot_total else 1.0,
        passed=true_pos,
        total=true_pos + max(false_pos, false_neg),
        gate=GATES["slot_f1"] if gated else None,
        extra={"true_positives": true_pos, "false_positives": false_pos, "false_negatives": false_neg},
    )
    results = [_metric(f"{part}.intent_accuracy", right, len(clear), failures, gated), slot]
    ambiguous = len(rows) - len(clear)
    if ambiguous:
        results.append(_metric(f"{part}.abstains_when_ambiguous", ambiguous_ok, ambiguous, ambiguous_failures, gated))
    return results


def cross_validated_accuracy(rows: list[LabelledUtterance], folds: int = CV_FOLDS) -> MetricResult:
    """Intent accuracy of the build part when each fold is read by a model trained on the other folds."""
    texts, labels = [row.text for row in rows], [row.intent for row in rows]
    predicted = cross_val_predict(
        LogisticRegression(C=REGULARISATION_C, max_iter=5000),
        features(texts),
        labels,
        cv=StratifiedKFold(folds, shuffle=True, random_state=0),
    )
    failures = [
        Failure(case_id=text, detail=f"expected {label}, read {guess}")
        for text, label, guess in zip(texts, labels, predicted, strict=True)
        if guess != label
    ]
    return _metric("build.intent_accuracy_cross_validated", len(rows) - len(failures), len(rows), failures, False)


def _exceptions(desk: Desk) -> int:
    """How many exceptions the twin holds."""
    with Session(desk.toolbox.engine) as session:
        return session.exec(select(func.count()).select_from(m.ExceptionRecord)).one()


def _supported(final: FinalEvent, results: list[ToolResultEvent], text: str) -> bool:
    """Whether every number of an answer is written in the message or a tool result of the turn (a plain check,
    apart from the verifier the chat uses: numbers as text, percentages also as shares)."""
    sources = text + " " + " ".join(json.dumps(r.result) for r in results)
    known = {float(n.replace(",", "")) for n in _NUMBER.findall(sources)}
    for written in _NUMBER.findall(
        re.sub(r"\b(?:[A-Z]{2,4}-[A-Za-z0-9-]+|\d{4}-\d{2}-\d{2}(?:T[\d:.]+Z?)?)\b", " ", final.answer)
    ):
        value = float(written.replace(",", ""))
        decimals = len(written.split(".")[1]) if "." in written else 0
        near = [
            k
            for k in known
            if abs(k - value) <= 0.5 * 10**-decimals + 1e-9 or abs(k * 100 - value) <= 0.5 * 10**-decimals + 1e-9
        ]
        if not near:
            return False
    return True


def turn_metrics(desk: Desk, rows: list[LabelledUtterance]) -> list[MetricResult]:
    """Each held-out utterance as a planner's first turn, and each act as every role's first turn."""
    no_exception, supported, refusals = [0, 0, []], [0, 0, []], [0, 0, []]
    for index, row in enumerate(rows):
        before = _exceptions(desk)
        events = list(chat_events(build_chat_graph(desk, "planner", "eval"), row.text, f"eval-{index}", "eval"))
        final = events[-1]
        results = [e for e in events if isinstance(e, ToolResultEvent)]
        no_exception[1] += 1
        if _exceptions(desk) == before:
            no_exception[0] += 1
        else:
            no_exception[2].append(Failure(case_id=row.text, detail="an exception was created without a yes"))
        supported[1] += 1
        if isinstance(final, FinalEvent) and _supported(final, results, row.text):
            supported[0] += 1
        else:
            supported[2].append(Failure(case_id=row.text, detail=getattr(final, "answer", None) or str(final)))
        act = _act(row.intent)
        if act:
            for role in ROLES:
                refusals[1] += 1
                turn = list(
                    chat_events(build_chat_graph(desk, role, "eval"), row.text, f"eval-{index}-{role}", f"eval-{role}")
                )
                allowed = _rest_allows(desk, act, role, row.slots.decision_id)
                if (not _refused(turn)) if allowed else not _acted_or_staged(turn):
                    refusals[0] += 1
                else:
                    refusals[2].append(Failure(case_id=row.text, detail=f"{role}: {turn[-1]}"))
    return [
        _metric("held_out.no_exception_without_yes", *no_exception, gated=True),
        _metric("held_out.answers_supported", *supported, gated=True),
        _metric("held_out.role_refusals_correct", *refusals, gated=True),
    ]


def _act(intent: str) -> str | None:
    """The REST act an intent performs, if any."""
    if intent.startswith(REPORT_PREFIX):
        return "report"
    return intent.removesuffix("_decision") if intent in ACTS else None


def _rest_allows(desk: Desk, act: str, role: str, decision_id: str | None) -> bool:
    """Whether the REST endpoint of the act lets the role through, on the decision the utterance names if any."""
    if act == "report":
        return role in REPORT_ROLES
    if role not in VERDICT_ROLES or decision_id is None:
        return role in VERDICT_ROLES
    with desk.toolbox.session() as session:
        record = session.get(m.DecisionRecord, decision_id)
        if record is None:
            return True
        types = {action.type for action in Decision.of(record).actions}
    return role in (GOVERNANCE_ROLES if types.intersection(GOVERNANCE_ACTIONS) else DECIDER_ROLES)


def _refused(events: list[ChatEvent]) -> bool:
    """Whether a turn refused the caller's role."""
    return any(isinstance(e, ToolResultEvent) and not e.ok and "role cannot" in str(e.result) for e in events)


def _acted_or_staged(events: list[ChatEvent]) -> bool:
    """Whether a turn carried out an act or staged one for a yes."""
    acted = any(isinstance(e, ToolResultEvent) and e.ok and e.name in ACT_TOOLS for e in events)
    return acted or (isinstance(events[-1], FinalEvent) and events[-1].answer.endswith("yes/no"))


def typed_query_metric() -> MetricResult:
    """The compositional reader on its own held-out questions: every part's typed reading exact (gated)."""
    result = compositional.score()
    failures = [
        Failure(case_id=m.id, detail=f"{m.field}: expected {m.expected!r}, read {m.got!r}") for m in result.misses
    ]
    return _metric("held_out.typed_query_accuracy", result.correct, result.total, failures, gated=True)


def run_chat_suite(desk: Desk, llm: str) -> EvalReport:
    """The chat suite's report: the build part (reported) and the held-out part (gated)."""
    start, at = time.perf_counter(), datetime.now(UTC)
    build = load(UTTERANCES_PATH)
    held_out = load(HELDOUT_PATH)
    metrics = [
        *understanding_metrics("build", build, gated=False),
        cross_validated_accuracy(build),
        *understanding_metrics("held_out", held_out, gated=True),
        *turn_metrics(desk, held_out),
        typed_query_metric(),
    ]
    return EvalReport(
        started_at=at,
        suites=["chat"],
        llm=llm,
        cases=len(build) + len(held_out),
        errors=0,
        seconds=round(time.perf_counter() - start, 1),
        median_case_seconds=0.0,
        slowest=[],
        metrics=metrics,
    )


def evaluate_chat(harness) -> EvalReport:
    """Run the chat suite on a desk over a fresh copy of the harness's pristine twin."""
    with harness.fresh_twin() as engine:
        toolbox = Toolbox(
            engine=engine,
            models=harness.models,
            knowledge=harness.knowledge,
            llm=harness.llm,
            settings=harness.settings,
        )
        return run_chat_suite(Desk(toolbox, InMemorySaver(), indexing="sweep"), harness.settings.llm)
