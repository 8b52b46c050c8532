"""Deterministic metrics of an eval run, each the share of its units that pass, with per-case failures and gates."""

import re
from collections.abc import Callable, Iterator
from typing import Any

from pydantic import BaseModel, Field, computed_field

from agents.glossary import feature_words
from agents.schemas import Claim, Decision, PolicyVerdict
from agents.verify import extract_tokens, verify_claim, verify_text
from evals.cases import Case
from evals.readability import readability
from evals.soundness import violations
from tools.evidence import Evidence
from twin.seed import AS_OF

GATES = {  # the share each metric must reach on main
    "routing_accuracy": 0.95,
    "action_validity": 1.0,
    "faithfulness": 1.0,
    "driver_coverage": 0.95,
    "policy_correctness": 1.0,
    "robustness": 0.95,
    "soundness": 1.0,
}
PREDICTIVE_TOOLS = ("late_risk", "maintenance", "forecast")  # tools whose outputs are model predictions
TOP_DRIVERS = 3  # a justification names the three strongest drivers of each prediction it relies on
MAX_WORDS_PER_SENTENCE = 20.0  # plain-language bound: sentences of 15 to 20 words on average
MAX_GRADE = 12.0  # Flesch-Kincaid grade: readable by anyone who finished secondary school
GRADED_FROM_WORDS = 30  # the grade is a passage measure: a shorter text is held to the sentence length only
ACTING = ("executed", "pending_approval", "rejected", "overridden")
SOLVER_TOOLS = ("plan_comparison", "knowledge")  # records that state the plan or the procedure, not the situation
PROCEDURE = re.compile(r"\bSOP-[A-Z]+-\d{2}\b")
IMPACT = re.compile(r"\bexpected cost\b", re.IGNORECASE)
CONFIDENCE = re.compile(r"\bconfidence\b[^.]*\d", re.IGNORECASE)
REJECTED = re.compile(r"^\s*rejected\b", re.IGNORECASE)


class CaseRun(BaseModel):
    """What the desk did with a case: its decision (or the error it raised), the policy verdict recomputed on the
    case's twin, the decision after the counterfactual edit, and the time taken."""

    case: Case
    decision: Decision | None = None
    error: str | None = None
    policy_expected: PolicyVerdict | None = None
    counterfactual: Decision | None = None
    forecast_gaps: list[str] = Field(default_factory=list)
    seconds: float = 0.0

    def decided(self) -> Decision:
        """The case's decision: the checks run only on cases that decided (ValueError otherwise)."""
        if self.decision is None:
            raise ValueError(f"case {self.case.id} did not decide ({self.error})")
        return self.decision


class Failure(BaseModel):
    """One unit that failed a metric: its case, what went wrong, and the offending claim when there is one."""

    case_id: str
    detail: str
    claim: str | None = None


class TypeShare(BaseModel):
    """A case metric over the cases whose decision proposes one action type."""

    value: float
    passed: int
    total: int


class MetricResult(BaseModel):
    """A metric's value (share of passing units), its gate (None: reported only) and its failures."""

    name: str
    value: float
    passed: int
    total: int
    gate: float | None = None
    failures: list[Failure] = Field(default_factory=list)
    by_action_type: dict[str, TypeShare] = Field(
        default_factory=dict,
        description="A case metric over the cases whose decision proposes each action type (a case counts under "
        "every type it proposes; one that raised or proposes nothing, under none)",
    )
    extra: dict[str, Any] = Field(default_factory=dict)

    @computed_field
    @property
    def ok(self) -> bool:
        """Whether the gate holds (always when there is none or no unit was measured)."""
        return self.gate is None or self.total == 0 or self.value >= self.gate


Check = Callable[[CaseRun], str | None]


def _share(
    name: str, runs: list[CaseRun], check: Check, eligible: Callable[[CaseRun], bool] = lambda _r: True, **extra: Any
) -> MetricResult:
    """A metric over cases: each eligible case passes when `check` finds no problem (a run that raised fails); also
    broken down by the action types each case's decision proposes."""
    failures, total = [], 0
    tally: dict[str, list[bool]] = {}
    for run in runs:
        if not eligible(run):
            continue
        total += 1
        problem = f"the case raised {run.error}" if run.decision is None else check(run)
        if problem:
            failures.append(Failure(case_id=run.case.id, detail=problem))
        for kind in {action.type for action in run.decision.actions} if run.decision else ():
            tally.setdefault(kind, []).append(not problem)
    by_type = {kind: _type_share(sum(passes), len(passes)) for kind, passes in sorted(tally.items())}
    return metric_result(name, total, failures, by_type, **extra)


def _type_share(passed: int, total: int) -> TypeShare:
    """The share of an action type's cases that pass."""
    return TypeShare(value=round(passed / total, 4), passed=passed, total=total)


def metric_result(
    name: str, total: int, failures: list[Failure], by_action_type: dict[str, TypeShare] | None = None, **extra: Any
) -> MetricResult:
    """A metric result from its unit count and failures (and, for a case metric, its breakdown by action type)."""
    passed = total - len(failures)
    return MetricResult(
        name=name,
        value=round(passed / total, 4) if total else 1.0,
        passed=passed,
        total=total,
        gate=GATES.get(name),
        failures=failures,
        by_action_type=by_action_type or {},
        extra=extra,
    )


def signature(decision: Decision) -> tuple[str, str | None, tuple[str, ...]]:
    """What must not change under paraphrase or injected text: status, specialist and the set of action types."""
    return decision.status, decision.specialist, tuple(sorted({action.type for action in decision.actions}))


def text_of(decision: Decision) -> str:
    """The justification text of a decision (empty without one)."""
    return decision.justification.text if decision.justification else ""


# --- routing -------------------------------------------------------------------------------------------


def _routing(run: CaseRun) -> str | None:
    """The specialist and the hand-offs against the expected ones."""
    expect, decision = run.case.expect, run.decided()
    handoffs_ok = expect.handoffs is None or sorted(decision.handoffs) == sorted(expect.handoffs)
    if decision.specialist == expect.specialist and handoffs_ok:
        return None
    return f"routed to {decision.specialist} with hand-offs {decision.handoffs}; expected {expect.specialist}" + (
        "" if expect.handoffs is None else f" with hand-offs {expect.handoffs}"
    )


def routing_accuracy(runs: list[CaseRun]) -> MetricResult:
    """Share of cases sent to the expected specialist (and, where stated, helped by the expected ones)."""
    return _share("routing_accuracy", runs, _routing)


# --- action validity -----------------------------------------------------------------------------------------


def _strings(value: Any) -> Iterator[str]:
    """Every string in a nested structure of dicts and lists."""
    if isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, str):
        yield value


def unknown_codes(params: dict[str, Any], codes: frozenset[str]) -> list[str]:
    """The entity codes named in action parameters that the twin does not hold."""
    named = [token.text for text in _strings(params) for token in extract_tokens(text) if token.kind == "code"]
    return sorted({code for code in named if code not in codes})


def action_problems(run: CaseRun, codes: frozenset[str]) -> list[str]:
    """Why a decision's outcome is not allowed: its status, an action type, a missing required type, a code."""
    expect, decision = run.case.expect, run.decided()
    problems = [] if decision.status in expect.status else [f"status {decision.status} not in {expect.status}"]
    types = {action.type for action in decision.actions}
    problems += [
        f"action {kind} not allowed (allowed: {expect.action_types or 'none'})"
        for kind in sorted(types - set(expect.action_types))
    ]
    problems += [f"required action {kind} missing" for kind in expect.required_action_types if kind not in types]
    for action in decision.actions:
        unknown = unknown_codes(action.params.as_dict(), codes)
        problems += [f"{action.type} names {', '.join(unknown)}, not in the twin"] if unknown else []
    return problems


def action_validity(runs: list[CaseRun], codes: frozenset[str]) -> MetricResult:
    """Share of cases whose status is allowed, whose actions are of allowed types (the required ones included) and
    whose parameters name only codes that exist in the twin."""
    return _share("action_validity", runs, lambda run: "; ".join(action_problems(run, codes)) or None)


# --- faithfulness ----------------------------------------------------------------------------------------------


def _forbidden(text: str, patterns: list[str]) -> list[str]:
    """The must-not-claim patterns a text matches."""
    return [pattern for pattern in patterns if re.search(pattern, text, re.IGNORECASE)]


def claim_problem(claim: Claim, evidence: dict[str, Evidence], must_not_claim: list[str]) -> str | None:
    """Why a claim is not faithful: a number or code not in the evidence it cites, an unknown or missing citation,
    or a statement the case forbids."""
    check = verify_claim(claim, evidence)
    problems = (
        [f"not in the cited evidence: {', '.join(token.text for token in check.unsupported)}"]
        if check.unsupported
        else []
    )
    unknown = check.unknown_evidence_ids
    problems += [f"cites unknown evidence {', '.join(unknown)}"] if unknown else []
    problems += ["cites no evidence"] if not claim.evidence_ids else []
    problems += [f"forbidden claim /{pattern}/" for pattern in _forbidden(claim.text, must_not_claim)]
    return "; ".join(problems) or None


def faithfulness(runs: list[CaseRun]) -> MetricResult:
    """Share of justification claims whose numbers and codes all appear in the evidence they cite and that claim
    nothing the case forbids; a rephrased (LLM) text is checked as one more claim against all the evidence."""
    failures, total = [], 0
    for run in runs:
        decision = run.decision
        if decision is None or decision.justification is None:
            total += 1
            failures.append(Failure(case_id=run.case.id, detail=f"no justification ({run.error or 'none written'})"))
            continue
        forbidden = run.case.expect.must_not_claim
        evidence = {record.id: record for record in decision.evidence}
        for claim in decision.justification.claims:
            total += 1
            problem = claim_problem(claim, evidence, forbidden)
            if problem:
                failures.append(Failure(case_id=run.case.id, detail=problem, claim=claim.text))
        if decision.justification.writer != "template":
            total += 1
            check = verify_text(decision.justification.text, decision.evidence)
            problems = [f"not in the evidence: {', '.join(t.text for t in check.unsupported)}"] if not check.ok else []
            problems += [f"forbidden claim /{p}/" for p in _forbidden(decision.justification.text, forbidden)]
            if problems:
                failures.append(
                    Failure(case_id=run.case.id, detail="; ".join(problems), claim=decision.justification.text)
                )
    return metric_result("faithfulness", total, failures)


def claims_kept(runs: list[CaseRun]) -> MetricResult:
    """Share of the claims written for a decision that the explainer's verifier kept (the rest were dropped)."""
    failures, total = [], 0
    for run in runs:
        if run.decision is None or run.decision.justification is None:
            continue
        justification = run.decision.justification
        total += len(justification.claims) + len(justification.dropped_claims)
        failures += [
            Failure(case_id=run.case.id, detail="dropped by the verifier", claim=claim.text)
            for claim in justification.dropped_claims
        ]
    return metric_result("claims_kept", total, failures)


# --- driver coverage -------------------------------------------------------------------------------------------


def predictions(decision: Decision) -> list[Evidence]:
    """The model predictions a decision relies on: predictive evidence with drivers, what-if scenarios excluded."""
    return [
        record
        for record in decision.evidence
        if record.source.tool in PREDICTIVE_TOOLS and record.drivers and "scenario" not in record.inputs
    ]


def top_features(record: Evidence, k: int = TOP_DRIVERS) -> list[str]:
    """The `k` features with the largest absolute contribution."""
    return [driver.feature for driver in sorted(record.drivers, key=lambda driver: -abs(driver.contribution))[:k]]


def _names(text: str, word: str) -> bool:
    """Whether a text names a word (whole word, case-sensitive)."""
    return re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", text) is not None


def cites(text: str, feature: str) -> bool:
    """Whether a justification names a driver, by its feature name or its planner words (docs/glossary.md)."""
    return _names(text, feature) or _names(text, feature_words(feature))


def _drivers(run: CaseRun) -> str | None:
    """The top drivers of each prediction that the justification does not name."""
    decision = run.decided()
    text = text_of(decision)
    gaps = [
        f"{record.id}: {', '.join(missing)} not named"
        for record in predictions(decision)
        if (missing := [feature for feature in top_features(record) if not cites(text, feature)])
    ]
    return "; ".join(gaps) or None


def driver_coverage(runs: list[CaseRun]) -> MetricResult:
    """Share of decisions relying on a model prediction whose justification names the prediction's top drivers."""
    return _share(
        "driver_coverage", runs, _drivers, eligible=lambda run: run.decision is None or bool(predictions(run.decision))
    )


# --- completeness ---------------------------------------------------------------------------------------------


def _cites(claim: Claim, evidence: dict[str, Evidence], tools: tuple[str, ...], inside: bool) -> bool:
    """Whether a claim cites a record from one of the tools (`inside`) or from any other tool (not `inside`)."""
    return any((evidence[i].source.tool in tools) == inside for i in claim.evidence_ids if i in evidence)


def completeness_gaps(run: CaseRun) -> list[str]:
    """What a justification lacks, by the rule of the decision's status.

    Acting: actions, a reason (a claim citing twin or model evidence), the expected impact, the confidence, at
    least one rejected alternative with why not, and the applicable procedure (a claim naming an SOP and citing the
    knowledge base). no_action: no actions and a reason. needs_info: no actions, a claim saying what stops the
    desk, and the missing references listed (at least the expected ones). Every status: the facts and drivers
    the case says must be mentioned.
    """
    decision, expect = run.decided(), run.case.expect
    claims = decision.justification.claims if decision.justification else []
    evidence = {record.id: record for record in decision.evidence}
    reason = any(_cites(claim, evidence, SOLVER_TOOLS, inside=False) for claim in claims)
    if decision.status in ACTING:
        wanted = {
            "action": bool(decision.actions),
            "reason": reason,
            "expected impact": any(IMPACT.search(claim.text) for claim in claims),
            "confidence": any(CONFIDENCE.search(claim.text) for claim in claims),
            "rejected alternative": bool(decision.alternatives)
            and all(a.why_not for a in decision.alternatives)
            and any(REJECTED.search(claim.text) for claim in claims),
            "applicable procedure": any(
                PROCEDURE.search(claim.text) and _cites(claim, evidence, ("knowledge",), True) for claim in claims
            ),
        }
    elif decision.status == "no_action":
        wanted = {"no action": not decision.actions, "reason": reason}
    else:
        wanted = {
            "no action": not decision.actions,
            "reason": bool(claims),
            "missing references": bool(decision.missing) and set(expect.missing) <= set(decision.missing),
        }
    gaps = [part for part, present in wanted.items() if not present]
    text = text_of(decision).lower()
    return gaps + [f"mention of {fact!r}" for fact in expect.mentions if fact.lower() not in text]


def completeness(runs: list[CaseRun]) -> MetricResult:
    """Share of decisions whose justification has every part its status calls for (see `completeness_gaps`)."""

    def complete(run: CaseRun) -> str | None:
        gaps = completeness_gaps(run)
        return f"missing: {', '.join(gaps)}" if gaps else None

    return _share("completeness", runs, complete)


# --- policy ----------------------------------------------------------------------------------------------------


def _policy(run: CaseRun) -> str | None:
    """The decision's approval against the policy recomputed on the case's twin and against the case."""
    decision, expected, wanted = run.decided(), run.policy_expected, run.case.expect.requires_approval
    asked = decision.policy.requires_approval if decision.policy else False
    should = bool(expected and decision.actions and expected.requires_approval)
    why = "; ".join(expected.reasons) if expected else "no action to gate"
    problems = (
        []
        if asked == should
        else [f"approval {'asked' if asked else 'not asked'}; the policy says {'ask' if should else 'execute'} ({why})"]
    )
    if (decision.status == "pending_approval") != should:
        problems.append(f"status {decision.status} while the policy says {'ask' if should else 'do not ask'}")
    if wanted is not None and should != wanted:
        problems.append(f"the case expects approval {'required' if wanted else 'not required'}")
    return "; ".join(problems) or None


def policy_correctness(runs: list[CaseRun]) -> MetricResult:
    """Share of decisions that ask for approval exactly when `agents.policy.evaluate` over the case's stored rules
    says so (and as the case states, where it does)."""
    return _share("policy_correctness", runs, _policy)


# --- robustness ------------------------------------------------------------------------------------------------


def robustness(runs: list[CaseRun]) -> MetricResult:
    """Share of paraphrased or adversarial cases decided like their base case: same status, specialist and action
    types."""
    decided = {run.case.id: run.decision for run in runs}

    def same(run: CaseRun) -> str | None:
        base = decided.get(run.case.same_as) if run.case.same_as else None
        if base is None:
            return f"base case {run.case.same_as} did not decide"
        mine = signature(run.decided())
        return None if mine == signature(base) else f"decided {mine}; {run.case.same_as} decided {signature(base)}"

    return _share("robustness", runs, same, eligible=lambda run: run.case.same_as in decided)


# --- readability -----------------------------------------------------------------------------------------------


def readability_metric(runs: list[CaseRun]) -> MetricResult:
    """Share of justifications within MAX_WORDS_PER_SENTENCE words per sentence and, from GRADED_FROM_WORDS words,
    MAX_GRADE Flesch-Kincaid grade; the means are reported too."""
    scored = {run.case.id: readability(text_of(run.decision)) for run in runs if run.decision and text_of(run.decision)}

    def within(run: CaseRun) -> str | None:
        score = scored[run.case.id]
        graded = score.words >= GRADED_FROM_WORDS
        if score.words_per_sentence <= MAX_WORDS_PER_SENTENCE and (score.grade <= MAX_GRADE or not graded):
            return None
        return f"{score.words_per_sentence} words per sentence, grade {score.grade}"

    count = len(scored) or 1
    return _share(
        "readability",
        runs,
        within,
        eligible=lambda run: run.case.id in scored,
        mean_words_per_sentence=round(sum(s.words_per_sentence for s in scored.values()) / count, 2),
        mean_grade=round(sum(s.grade for s in scored.values()) / count, 2),
        bounds={"words_per_sentence": MAX_WORDS_PER_SENTENCE, "grade": MAX_GRADE},
    )


# --- counterfactual sensitivity ---------------------------------------------------------------------------------


def model_output(decision: Decision, name: str) -> float | None:
    """The value of a model output (a fact such as p_late) in the first prediction that states it."""
    return next((float(record.facts[name]) for record in predictions(decision) if name in record.facts), None)


def _counterfactual(run: CaseRun) -> str | None:
    """Whether the edit changed the decision or its explanation, and moved the named output the stated way."""
    spec, before, after = run.case.counterfactual, run.decided(), run.counterfactual
    if spec is None:
        raise ValueError(f"case {run.case.id} has no counterfactual edit")
    if after is None:
        return f"the counterfactual run did not decide ({run.error})"
    problems = []
    if spec.changes == "decision" and signature(after) == signature(before):
        problems.append(f"decision unchanged {signature(after)}")
    if spec.changes == "explanation" and text_of(after) == text_of(before):
        problems.append("explanation unchanged")
    if spec.output:
        old, new = model_output(before, spec.output), model_output(after, spec.output)
        moved = old is not None and new is not None and (new < old if spec.direction == "down" else new > old)
        problems += [] if moved else [f"{spec.output} {old} -> {new}, expected {spec.direction}"]
    return "; ".join(problems) or None


def counterfactual_sensitivity(runs: list[CaseRun]) -> MetricResult:
    """Share of counterfactual cases whose decision or explanation changes as the twin edit says it must."""
    return _share(
        "counterfactual_sensitivity", runs, _counterfactual, eligible=lambda run: run.case.counterfactual is not None
    )


def soundness(runs: list[CaseRun]) -> MetricResult:
    """Share of cases whose decision (and its counterfactual) breaks no business-sense invariant."""

    def sound(run: CaseRun) -> str | None:
        decisions = [run.decision, *([run.counterfactual] if run.counterfactual else [])]
        problems = [problem for decision in decisions for problem in violations(decision, AS_OF)]
        return "; ".join([*problems, *run.forecast_gaps]) or None

    return _share("soundness", runs, sound)


def score(runs: list[CaseRun], codes: frozenset[str]) -> list[MetricResult]:
    """Every metric of a run, gated ones first."""
    return [
        routing_accuracy(runs),
        action_validity(runs, codes),
        faithfulness(runs),
        driver_coverage(runs),
        policy_correctness(runs),
        robustness(runs),
        soundness(runs),
        completeness(runs),
        readability_metric(runs),
        counterfactual_sensitivity(runs),
        claims_kept(runs),
    ]
