"""The governance specialist: a model whose features drifted is rolled back to its previous version (an architect
approves every model change), or, with no earlier version to go back to, recommended for retraining."""

from agents.model_drift import NoReference, model_drift
from agents.modelbook import MODEL_NAMES
from agents.proposal import Proposal, needs_info
from agents.schemas import Alternative, Claim, Refs
from agents.toolbox import Toolbox
from tools.drift import DriftReport
from tools.evidence import Evidence, Source
from twin import activations
from twin.actions import RollbackModel, RollbackModelParams

MODELS = Source(tool="model_registry", model="versions-in-force", version="1")


def drifted_model(tb: Toolbox, refs: Refs) -> Proposal:
    """Measure the drift of the model named in `refs` and propose rolling it back to the version in force before."""
    named = Evidence(
        id=f"model:{refs.model}", source=MODELS, inputs={"model": refs.model}, facts={"known": MODEL_NAMES}
    )
    if refs.model not in MODEL_NAMES:
        return needs_info("governance", ["model"], f"{refs.model} is not a model of the desk", named)
    settings = tb.settings
    with tb.session() as session:
        try:
            report = model_drift(
                session,
                tb.models.pinned(),
                refs.model,
                tb.now(),
                settings.drift_window_days,
                settings.drift_psi_threshold,
            )
        except NoReference as error:
            return needs_info("governance", [], str(error), named, status="no_action")
        last = activations.latest(session, refs.model)
    measured = report.evidence()
    if not report.drifted:
        reason = f"no feature of {report.model} has a PSI above {report.threshold:g} now"
        return needs_info("governance", [], reason, measured, status="no_action")
    finding = Claim(text=_drift_sentence(report), evidence_ids=[measured.id])
    if last is None or last.previous is None:
        return needs_info(
            "governance",
            [],
            f"{finding.text}; retrain it: no earlier version to roll back to",
            measured,
            status="no_action",
        )
    return _rollback(refs.model, last.version, last.previous, measured, finding)


def _rollback(model: str, version: str, previous: str, measured: Evidence, finding: Claim) -> Proposal:
    """Roll a drifted model back from the version in force to the one before, after an architect's approval."""
    versions = Evidence(
        id=f"model-versions:{model}",
        source=MODELS,
        inputs={"model": model},
        facts={"in_force": version, "previous": previous},
    )
    action = RollbackModel(
        params=RollbackModelParams(model=model, from_version=version, to_version=previous, cost_usd=0.0)
    )
    return Proposal(
        specialist="governance",
        status="proposed",
        actions=[action],
        confidence=1.0,
        alternatives=[
            Alternative(
                name="keep the version in force and retrain",
                why_not=f"decisions go on using {version} on drifted inputs until a retrained version is promoted",
            )
        ],
        evidence=[measured, versions],
        findings=[finding],
        chosen=Claim(
            text=f"Roll {model} back from {version} to {previous}, after an architect's approval.",
            evidence_ids=[versions.id],
        ),
        plan_evidence_id=versions.id,
    )


def _drift_sentence(report: DriftReport) -> str:
    """The drifted features with their PSI."""
    named = ", ".join(f"{feature.feature} (PSI {feature.psi:g})" for feature in report.drifted)
    return f"{report.model} drifted over {report.rows} recent rows: {named}, above {report.threshold:g}"
