"""The governance specialist: a model whose features drifted or whose performance crossed a limit is rolled back to
its previous version when that version did better; otherwise its retraining is recommended and, when its
performance fell, the action types that rest on it stop acting on their own. An architect approves every change."""

from agents import monitoring
from agents.model_performance import limits
from agents.modelbook import MODEL_NAMES
from agents.proposal import Proposal, needs_info
from agents.schemas import Action, Alternative, Claim, Refs
from agents.toolbox import Toolbox
from tools.drift import DriftReport
from tools.evidence import Evidence, Source
from twin import activations, policies
from twin import monitoring as history
from twin.actions import (
    LowerAutonomy,
    LowerAutonomyParams,
    RecommendRetraining,
    RecommendRetrainingParams,
    RollbackModel,
    RollbackModelParams,
)

MODELS = Source(tool="model_registry", model="versions-in-force", version="1")
POLICIES = Source(tool="policy", model="rules-in-force", version="1")


class Situation:
    """What governance knows of a model now: its health, the version before it and how that one did, and the rules
    of its dependent action types that act on their own."""

    def __init__(self, tb: Toolbox, name: str) -> None:
        with tb.session() as session:
            self.health = monitoring.assess(session, tb.models.pinned(), name, tb.now(), tb.settings)
            last = activations.latest(session, name)
            self.in_force, self.previous = (last.version, last.previous) if last else (self.health.version, None)
            self.previous_run = history.latest(session, name, self.previous, "performance") if self.previous else None
            dependents = list(monitoring.DEPENDENT_ACTIONS.get(name, ()))
            self.acting = [row for row in policies.of_types(session, dependents) if row.level == "act"]
            session.commit()

    @property
    def fell(self) -> bool:
        """Whether the model's performance on known outcomes crossed a limit (not only its inputs drifted)."""
        return bool(self.health.performance.breaches)

    def previous_did_better(self) -> bool:
        """Whether there is a version to roll back to that did better: for drift alone, one never found wanting; for
        a fall in performance, one measured within every limit."""
        if self.previous is None:
            return False
        if self.fell:
            return self.previous_run is not None and not self.previous_run.breaches
        return self.previous_run is None or not self.previous_run.breaches


def drifted_model(tb: Toolbox, refs: Refs) -> Proposal:
    """Measure the model named in `refs` and propose, by cause, a rollback, or retraining with lower autonomy."""
    named = Evidence(
        id=f"model:{refs.model}", source=MODELS, inputs={"model": refs.model}, facts={"known": MODEL_NAMES}
    )
    if refs.model not in MODEL_NAMES:
        return needs_info("governance", ["model"], f"{refs.model} is not a model of the desk", named)
    found = Situation(tb, refs.model)
    measured = _measurements(tb, found)
    findings = _findings(found, measured)
    if not findings:
        reason = f"no feature of {refs.model} drifted and its performance is within every limit now"
        return needs_info("governance", [], reason, measured[-1], status="no_action")
    versions = Evidence(
        id=f"model-versions:{refs.model}",
        source=MODELS,
        inputs={"model": refs.model},
        facts={
            "in_force": found.in_force,
            "previous": found.previous,
            "previous_breaches": found.previous_run.breaches if found.previous_run else None,
        },
    )
    if found.previous_did_better():
        return _rollback(refs.model, found, [*measured, versions], findings)
    return _retrain(refs.model, found, [*measured, versions], findings)


def _measurements(tb: Toolbox, found: Situation) -> list[Evidence]:
    """The drift (when measured) and performance evidence of the model."""
    drift = [found.health.drift.evidence()] if found.health.drift else []
    return [*drift, found.health.performance.evidence(limits(tb.settings))]


def _findings(found: Situation, measured: list[Evidence]) -> list[Claim]:
    """One claim for drifted features, one for the performance limits crossed."""
    claims = []
    drift = found.health.drift
    if drift is not None and drift.drifted:
        claims.append(Claim(text=_drift_sentence(drift), evidence_ids=[measured[0].id]))
    if found.fell:
        report = found.health.performance
        text = f"{report.model} on {report.rows} known outcomes: {'; '.join(report.breaches)}"
        claims.append(Claim(text=text, evidence_ids=[measured[-1].id]))
    return claims


def _rollback(name: str, found: Situation, evidence: list[Evidence], findings: list[Claim]) -> Proposal:
    """Put the previous version back."""
    previous = found.previous or ""
    action = RollbackModel(
        params=RollbackModelParams(model=name, from_version=found.in_force, to_version=previous, cost_usd=0.0)
    )
    return Proposal(
        specialist="governance",
        status="proposed",
        actions=[action],
        confidence=1.0,
        alternatives=[
            Alternative(
                name="keep the version in force and retrain",
                why_not=f"decisions go on using {found.in_force} until a retrained version is promoted",
            )
        ],
        evidence=evidence,
        findings=findings,
        chosen=Claim(
            text=f"Roll {name} back from {found.in_force} to {previous}, after an architect's approval.",
            evidence_ids=[evidence[-1].id],
        ),
        plan_evidence_id=evidence[-1].id,
    )


def _retrain(name: str, found: Situation, evidence: list[Evidence], findings: list[Claim]) -> Proposal:
    """Recommend retraining; when performance fell, lower the autonomy of the dependent action types that act."""
    reasons = found.health.findings
    actions: list[Action] = [
        RecommendRetraining(
            params=RecommendRetrainingParams(model=name, version=found.in_force, reasons=reasons, cost_usd=0.0)
        )
    ]
    lowered = sorted({row.action_type for row in found.acting}) if found.fell else []
    rules = Evidence(
        id=f"policies:{name}",
        source=POLICIES,
        inputs={"model": name, "dependent_action_types": list(monitoring.DEPENDENT_ACTIONS.get(name, ()))},
        facts={"acting": [f"{row.action_type}@{row.cohort}" for row in found.acting]},
    )
    if lowered:
        actions.append(LowerAutonomy(params=LowerAutonomyParams(model=name, action_types=lowered, cost_usd=0.0)))
    why = (
        f"no earlier version of {name} to roll back to"
        if found.previous is None
        else f"the version before, {found.previous}, was not measured within every limit"
    )
    lower = f" and set {', '.join(lowered)} to recommend until then" if lowered else ""
    return Proposal(
        specialist="governance",
        status="proposed",
        actions=actions,
        confidence=1.0,
        alternatives=[Alternative(name="roll back to the previous version", why_not=why)],
        evidence=[*evidence, rules],
        findings=findings,
        chosen=Claim(
            text=f"Recommend retraining {name}{lower}, after an architect's approval.",
            evidence_ids=[evidence[-1].id, rules.id],
        ),
        plan_evidence_id=rules.id,
    )


def _drift_sentence(report: DriftReport) -> str:
    """The drifted features with their PSI."""
    named = ", ".join(f"{feature.feature} (PSI {feature.psi:g})" for feature in report.drifted)
    return f"{report.model} drifted over {report.rows} recent rows: {named}, above {report.threshold:g}"
