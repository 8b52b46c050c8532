"""Recommended autonomy from measured quality: for each stored rule (an action type in a cohort), the level its
evidence supports beside the level configured, with the reasons.

The evidence of a rule is what happened under it in the learning window on the twin's clock: the proposals people
reviewed (approved or refused, as `agents.policy_learning` reads them) and the executed decisions whose outcome is
settled, each attributed to the rule that governed its action; the latest performance run of the model the action
type rests on; and the eval report's gated checks of decisions (soundness, action validity, policy correctness).

Each signal caps the level: failing eval gates keep an action type in `shadow`; a model past a performance limit, a
refusal share above what acting allows, or too few achieved outcomes keep it at `recommend`; refusals at the
suggestion threshold stop proposing it (`off`). A `recommend` rule is raised to `act` only when approvals reach the
suggestion threshold with enough support and nothing caps it. Without enough examples a signal says so and caps
nothing.
"""

import json
from datetime import datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, ValidationError
from sqlmodel import Session, col, select

from agents.monitoring import model_of
from agents.policy import PolicyRule, cohort_of, rule_for, rules
from agents.policy_learning import LearningSettings, examples, window
from agents.schemas import Decision, Level
from twin import models as m
from twin import monitoring
from twin.actions import GOVERNANCE_ACTIONS
from twin.settings import Settings

ORDER: tuple[Level, ...] = ("off", "shadow", "recommend", "act")
GATED_EVALS = ("soundness", "action_validity", "policy_correctness")
MIN_ACHIEVED_RATE = 0.8  # acting needs at least 4 in 5 settled outcomes achieved
Change = Literal["keep", "lower", "raise"]


class TypeCheck(BaseModel):
    """One metric of the eval report over the cases whose decision proposes one action type."""

    value: float
    passed: int
    total: int


class EvalCheck(BaseModel):
    """One metric of the eval report: its value and gate, and its value per action type proposed."""

    name: str
    value: float
    gate: float | None = None
    by_action_type: dict[str, TypeCheck] = Field(default_factory=dict)


class EvalReport(BaseModel):
    """The part of `yardmaster eval`'s JSON report the recommendation reads."""

    started_at: datetime
    metrics: list[EvalCheck]


class Signals(BaseModel):
    """The measured quality behind one rule's recommendation."""

    reviewed: int = Field(description="Proposals people approved or refused in the window")
    rejection_rate: float | None
    approval_rate: float | None
    settled_outcomes: int = Field(description="Executed decisions whose outcome is achieved or not achieved")
    achieved_rate: float | None
    model: str | None = Field(description="The model the action type rests on")
    model_breaches: list[str] | None = Field(
        description="Its latest performance run's crossed limits (None: unmeasured)"
    )
    calibration_error: float | None
    eval_pass_rate: float | None = Field(
        description="The lowest gated eval check of the action type's decisions, or of all decisions when no eval "
        "case proposes it (None: no report)"
    )
    eval_cases: int | None = Field(
        default=None, description="Eval cases whose decision proposes the action type (0: none; None: no report)"
    )


class Recommendation(BaseModel):
    """The level an action type's measured quality supports in a cohort, beside its configured level, and why."""

    action_type: str
    cohort: str
    configured: Level
    recommended: Level
    change: Change
    reasons: list[str]
    signals: Signals


class Evidence(BaseModel):
    """What happened under one rule: reviewed proposals (True when refused) and settled outcomes (True achieved)."""

    refused: list[bool] = Field(default_factory=list)
    achieved: list[bool] = Field(default_factory=list)


def eval_report(settings: Settings) -> Path:
    """Where `yardmaster eval` writes its JSON report by default."""
    return settings.data_dir / "evals" / "report.json"


def read_eval_report(path: Path) -> EvalReport | None:
    """The eval report at `path`, None when there is none or it cannot be read."""
    try:
        return EvalReport.model_validate(json.loads(path.read_text()))
    except (OSError, ValueError, ValidationError):
        return None


def attributed(
    session: Session, stored: list[PolicyRule], since: datetime, until: datetime
) -> dict[tuple[str, str], Evidence]:
    """Reviewed proposals and settled outcomes of the window, grouped by the rule (action type, cohort) that governed
    each action."""
    found: dict[tuple[str, str], Evidence] = {}
    for example in examples(session, since, until):
        rule = rule_for(example.action, example.cohort, stored)
        found.setdefault((rule.action_type, rule.cohort), Evidence()).refused.append(example.rejected)
    acted = session.exec(
        select(m.DecisionRecord, m.ExceptionRecord)
        .join(m.ExceptionRecord, col(m.ExceptionRecord.id) == col(m.DecisionRecord.exception_id))
        .where(col(m.DecisionRecord.status).in_(("executed", "overridden")))
        .where(col(m.ExceptionRecord.occurred_at) >= since, col(m.ExceptionRecord.occurred_at) <= until)
    ).all()
    for record, _exception in acted:
        decision = Decision.of(record)
        if decision.outcome is None or decision.outcome.status == "pending":
            continue
        for action in decision.actions:
            rule = rule_for(action, cohort_of(session, action), stored)
            found.setdefault((rule.action_type, rule.cohort), Evidence()).achieved.append(
                decision.outcome.status == "achieved"
            )
    return found


def recommend(
    rule: PolicyRule,
    evidence: Evidence,
    run: m.ModelMonitorRun | None,
    evals: EvalReport | None,
    limits: LearningSettings,
) -> Recommendation:
    """The level one rule's evidence supports, with a reason per signal."""
    caps: list[tuple[Level, str]] = []
    notes: list[str] = []
    reviewed, refused = len(evidence.refused), sum(evidence.refused)
    rejection = round(refused / reviewed, 4) if reviewed else None
    approval = round(1 - rejection, 4) if rejection is not None else None
    settled, achieved = len(evidence.achieved), sum(evidence.achieved)
    achieved_rate = round(achieved / settled, 4) if settled else None
    eval_rate, eval_cases = _eval_signal(evals, rule.action_type, caps, notes)
    model = model_of(rule.action_type)
    _model_signal(model, run, caps, notes)
    if reviewed < limits.min_support:
        notes.append(f"{reviewed} reviewed proposals, fewer than {limits.min_support}: verdicts not yet telling")
    elif rejection is not None and rejection >= limits.min_rejection_rate:
        caps.append(("off", f"people refused {refused} of {reviewed} proposals: stop proposing"))
    elif approval is not None and approval < limits.min_approval_rate:
        caps.append(("recommend", f"people refused {refused} of {reviewed} proposals: keep a person deciding"))
    else:
        notes.append(f"people approved {reviewed - refused} of {reviewed} proposals")
    if settled < limits.min_support:
        notes.append(f"{settled} settled outcomes, fewer than {limits.min_support}: effect not yet measured")
    elif achieved_rate is not None and achieved_rate < MIN_ACHIEVED_RATE:
        caps.append(("recommend", f"{achieved} of {settled} executed decisions achieved their goal"))
    else:
        notes.append(f"{achieved} of {settled} executed decisions achieved their goal")
    levels: list[Level] = [rule.level, *(level for level, _ in caps)]
    recommended = min(levels, key=ORDER.index)
    earned = reviewed >= limits.min_support and approval is not None and approval >= limits.min_approval_rate
    if rule.level == "recommend" and earned and not caps:
        recommended = "act"
        notes.append("approvals and outcomes support acting within bounds")
    step = ORDER.index(recommended) - ORDER.index(rule.level)
    change: Change = "keep" if step == 0 else ("lower" if step < 0 else "raise")
    binding = [reason for level, reason in caps if ORDER.index(level) < ORDER.index(rule.level)]
    return Recommendation(
        action_type=rule.action_type,
        cohort=rule.cohort,
        configured=rule.level,
        recommended=recommended,
        change=change,
        reasons=[*binding, *notes, *[reason for _, reason in caps if reason not in binding]],
        signals=Signals(
            reviewed=reviewed,
            rejection_rate=rejection,
            approval_rate=approval,
            settled_outcomes=settled,
            achieved_rate=achieved_rate,
            model=model,
            model_breaches=run.breaches if run else None,
            calibration_error=run.metrics.get("calibration_error") if run else None,
            eval_pass_rate=eval_rate,
            eval_cases=eval_cases,
        ),
    )


def _eval_signal(
    evals: EvalReport | None, action_type: str, caps: list[tuple[Level, str]], notes: list[str]
) -> tuple[float | None, int | None]:
    """The lowest gated eval check of the action type's decisions (of all decisions when no case proposes it) and
    its number of cases; a check below its gate keeps the action type in shadow."""
    if evals is None:
        notes.append("no eval report: run `yardmaster eval`")
        return None, None
    gated = [check for check in evals.metrics if check.name in GATED_EVALS and check.gate is not None]
    own = {check.name: check.by_action_type[action_type] for check in gated if action_type in check.by_action_type}
    cases = max((found.total for found in own.values()), default=0)
    rates: list[float] = []
    failing = False
    for check in gated:
        found = own.get(check.name)
        value = found.value if found else check.value
        rates.append(value)
        scope = f"of {action_type} decisions ({found.passed} of {found.total} cases)" if found else "of all decisions"
        if check.gate is not None and value < check.gate:
            failing = True
            caps.append(("shadow", f"eval {check.name} {scope} {value:.1%} below its gate {check.gate:.0%}"))
    lowest = min(rates, default=None)
    if lowest is not None and not failing:
        scope = (
            f"{action_type} decisions ({cases} cases)" if cases else f"all decisions (no case proposes {action_type})"
        )
        notes.append(
            f"evals of {evals.started_at:%Y-%m-%d}: soundness, validity and policy checks of {scope} pass their gates, "
            f"lowest {lowest:.1%}"
        )
    return lowest, cases


def _model_signal(
    model: str | None, run: m.ModelMonitorRun | None, caps: list[tuple[Level, str]], notes: list[str]
) -> None:
    """A model past a performance limit keeps a person deciding."""
    if model is None:
        return
    if run is None:
        notes.append(f"{model} has no performance measured yet")
    elif run.breaches:
        caps.append(("recommend", f"{model} on {run.day}: {'; '.join(run.breaches)}"))
    else:
        calibration = run.metrics.get("calibration_error")
        shown = f" (calibration error {calibration:.3f})" if calibration is not None else ""
        notes.append(f"{model} within its limits on {run.day}{shown}")


def recommendations(session: Session, limits: LearningSettings, eval_report: Path) -> list[Recommendation]:
    """The recommended level of every stored rule, by action type and cohort (model governance always waits)."""
    stored = rules(session)
    governed = [rule for rule in stored if rule.action_type not in GOVERNANCE_ACTIONS]  # an architect approves them
    since, until = window(session, limits)
    found = attributed(session, stored, since, until)
    evals = read_eval_report(eval_report)
    latest = {name: _latest_run(session, name) for name in {model_of(rule.action_type) for rule in governed} if name}
    return [
        recommend(
            rule,
            found.get((rule.action_type, rule.cohort), Evidence()),
            latest.get(model_of(rule.action_type) or ""),
            evals,
            limits,
        )
        for rule in governed
    ]


def _latest_run(session: Session, model: str) -> m.ModelMonitorRun | None:
    """A model's newest performance run."""
    kept = monitoring.history(session, model, "performance", limit=1)
    return kept[-1] if kept else None
