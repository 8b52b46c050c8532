"""The detectors: shifting a feature of recently scored shipments raises one model_drift exception a week per model
version, which the desk answers with a rollback waiting for an architect, and restoring the feature raises none; the
pass's parts raise what the whole pass raises, and the trucks scored from kept running means are those of a full
recomputation."""

from datetime import date, timedelta

from sqlalchemy import update
from sqlmodel import Session, col

from agents import detectors, outcomes
from agents.schemas import ExceptionType
from graph.state import Verdict
from tests.conftest import register_copy
from tools import late_risk, registry
from tools.maintenance import score_trucks
from twin import activations, frames, store
from twin import models as m
from twin.days import TwinDays

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
    assert raised.external_id == f"detector:model_drift:{LATE}@{second}:2026-W45"  # the twin's clock: 2026-11-02
    decision = desk.submit(raised, actor="detector")
    assert (decision.specialist, decision.status) == ("governance", "pending_approval")
    [action] = decision.actions
    assert (action.type, action.params.from_version, action.params.to_version) == ("rollback_model", second, first)
    assert any("architect's approval" in reason for reason in decision.policy.reasons)
    assert not [e for e in detectors.detect(desk.toolbox) if e.type == ExceptionType.model_drift]  # once a week

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


def full_recomputation(tb) -> set[str]:
    """The trucks the pass raised before running means were kept: every truck scored on its whole telemetry."""
    with tb.session() as session:
        telemetry = frames.telemetry_frame(session)
        booked = store.trucks_with_open_work_orders(session)
    risks = score_trucks(tb.models.fleet, telemetry, tb.now())
    return {r.truck for r in risks if r.p_fail >= detectors.FAILURE_TRIGGER and r.truck not in booked}


def parts_of(tb) -> list[detectors.Part]:
    """The parts of the pass on the toolbox's twin now."""
    with tb.session() as session:
        return detectors.parts(session)


def assert_parts_make_the_whole(tb) -> list[str]:
    """The parts raise what the whole pass raises, each once, and the trucks are the full recomputation's; the ids."""
    whole = sorted(e.external_id or "" for e in detectors.detect(tb))
    parted = [e.external_id or "" for part in parts_of(tb) for e in detectors.detect_part(tb, part)]
    assert sorted(parted) == whole and len(set(parted)) == len(parted)
    trucks = {e.refs.asset_id for e in detectors.detect(tb) if e.type == ExceptionType.equipment_failure_risk}
    assert trucks == full_recomputation(tb)
    return whole


def test_the_parts_raise_the_whole_pass_and_the_trucks_of_a_full_recomputation(toolbox, monkeypatch):
    monkeypatch.setattr(detectors, "TRUCK_BLOCK", 7)  # blocks that do not divide the fleet
    seeded = assert_parts_make_the_whole(toolbox)
    assert {kind for kind in ("late_shipment", "stockout_risk", "equipment_failure_risk") if f":{kind}:" in str(seeded)}
    kinds = [type(part) for part in parts_of(toolbox)]
    assert kinds.count(detectors.SitePart) == 5 and kinds.count(detectors.TruckBlock) == 6

    stepper, _ = TwinDays.generate(7)  # the seeded twin is this scenario: the stepper continues it
    with Session(toolbox.engine) as session:
        for _ in range(3):
            stepper.step(session)
    assert assert_parts_make_the_whole(toolbox) != seeded


def test_a_part_run_again_after_its_exceptions_are_taken_in_raises_nothing(desk):
    [part] = [p for p in parts_of(desk.toolbox) if detectors.detect_part(desk.toolbox, p)][:1]
    for exception in detectors.detect_part(desk.toolbox, part):
        desk.take_in(exception, "detector", None)
    assert detectors.detect_part(desk.toolbox, part) == []
    assert detectors.PART.validate_python(part.model_dump()) == part  # a part travels as a job's arguments


def test_a_model_versions_findings_are_raised_once_a_week():
    assert detectors.iso_week(date(2026, 11, 2)) == detectors.iso_week(date(2026, 11, 8)) == "2026-W45"
    assert detectors.iso_week(date(2026, 11, 9)) == "2026-W46"
    assert detectors.iso_week(date(2027, 1, 1)) == "2026-W53"  # the ISO year the week belongs to
