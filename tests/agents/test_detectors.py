"""The drift detector: shifting a feature of recently scored shipments raises one model_drift exception a day, which
the desk answers with a rollback waiting for an architect; restoring the feature raises none."""

from datetime import timedelta

from sqlalchemy import update
from sqlmodel import col

from agents import detectors, outcomes
from agents.schemas import ExceptionType
from graph.state import Verdict
from tests.conftest import register_copy
from tools import late_risk, registry
from twin import activations, store
from twin import models as m

LATE = late_risk.MODEL_NAME


def scale_recent_distances(desk, factor: float) -> None:
    """Multiply the distance of every shipment shipped in the drift window."""
    with desk.toolbox.session() as session:
        since = store.as_of(session) - timedelta(days=desk.settings.drift_window_days)
        session.execute(
            update(m.Shipment)
            .where(col(m.Shipment.shipped_at) >= since)
            .values(distance_miles=m.Shipment.distance_miles * factor)
        )
        session.commit()


def test_a_shifted_feature_raises_a_drift_exception_and_restoring_it_does_not(desk):
    models_dir = desk.settings.models_dir
    first = registry.resolve(models_dir, LATE)[0].version
    second = register_copy(models_dir, LATE, "second000001")
    with desk.toolbox.session() as session:
        activations.promote(session, LATE, first, "train", in_force=None)
        activations.promote(session, LATE, second, "ana", in_force=first)
        session.commit()
    desk.toolbox.models.refresh()
    assert detectors.drifted_models(desk.toolbox) == []

    scale_recent_distances(desk, 3.0)
    [raised] = detectors.drifted_models(desk.toolbox)
    assert (raised.type, raised.refs.model, raised.source) == (ExceptionType.model_drift, LATE, "detector")
    assert "distance_miles" in raised.description
    decision = desk.submit(raised, actor="detector")
    assert (decision.specialist, decision.status) == ("governance", "pending_approval")
    [action] = decision.actions
    assert (action.type, action.params.from_version, action.params.to_version) == ("rollback_model", second, first)
    assert any("architect's approval" in reason for reason in decision.policy.reasons)
    assert not [e for e in detectors.detect(desk.toolbox) if e.type == ExceptionType.model_drift]  # once a day

    done = desk.resume(decision.decision_id, Verdict(verdict="approve", actor="architect-1"))
    assert done.status == "executed"
    with desk.toolbox.session() as session:
        assert activations.active(session)[LATE] == first
        now = store.as_of(session)
        assert outcomes.check(session, done, ExceptionType.model_drift, raised.refs, now, now).status == "achieved"
    desk.toolbox.models.refresh()  # other processes see it within model_refresh_s
    assert desk.toolbox.models.pinned().late.version == first

    scale_recent_distances(desk, 1 / 3.0)
    assert detectors.drifted_models(desk.toolbox) == []
