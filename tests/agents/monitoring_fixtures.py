"""Model versions for monitoring tests: copies of the trained late-risk model, honest or miscalibrated."""

import json
from pathlib import Path

from agents.schemas import Decision, ExceptionIn, ExceptionType, Refs
from tests.conftest import register_copy
from tools import late_risk, registry
from twin import activations

LATE = late_risk.MODEL_NAME


def miscalibrated_copy(desk, version: str, intercept: float = 4.0) -> str:
    """Register, beside the desk's models, a copy of the trained late-risk model whose probabilities are pushed up
    by `intercept` log-odds: it ranks shipments as well as the original and overstates every risk."""
    return miscalibrated(desk.settings.models_dir, version, intercept)


def miscalibrated(models_dir: Path, version: str, intercept: float = 4.0) -> str:
    """Register in `models_dir` a copy of the trained late-risk model that overstates every risk by `intercept`
    log-odds."""
    register_copy(models_dir, LATE, version)
    spec_path = models_dir / LATE / version / "late_risk.json"
    spec = json.loads(spec_path.read_text())
    spec["calibration"]["intercept"] += intercept
    spec_path.write_text(json.dumps(spec))
    return version


def put_in_force(desk, *versions: str) -> None:
    """Promote each version in turn (each after the one before), as training and architects would."""
    with desk.toolbox.session() as session:
        before = None
        for version in versions:
            activations.promote(session, LATE, version, "test", in_force=before)
            before = version
        session.commit()
    desk.toolbox.models.refresh()


def governance_pending(desk, version: str) -> Decision:
    """A model-drift decision waiting for an architect, on a miscalibrated late-risk version put in force."""
    put_in_force(desk, miscalibrated_copy(desk, version))
    decision = desk.submit(ExceptionIn(type=ExceptionType.model_drift, refs=Refs(model=LATE)), actor="detector")
    assert decision.status == "pending_approval"
    return decision


def trained_version(desk) -> str:
    """The late-risk version the fixture trained."""
    return registry.resolve(desk.settings.models_dir, LATE)[0].version
