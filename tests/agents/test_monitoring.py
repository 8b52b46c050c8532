"""Model monitoring: the detector pass keeps each model's performance on known outcomes per twin day, and a
miscalibrated late-risk model raises a governance exception naming its calibration error while a good one does not."""

from agents import detectors, monitoring
from agents.model_versions import monitoring_history
from agents.schemas import ExceptionType
from tests.agents.monitoring_fixtures import LATE, miscalibrated_copy, put_in_force, trained_version
from tools import forecast, maintenance


def test_a_miscalibrated_model_raises_a_governance_exception_and_a_good_one_does_not(desk):
    good = trained_version(desk)
    put_in_force(desk, good)
    assert detectors.drifted_models(desk.toolbox) == []
    with desk.toolbox.session() as session:
        kept = {
            name: monitoring_history(session, desk.settings.models_dir, name) for name in monitoring.DEPENDENT_ACTIONS
        }
    for history in kept.values():
        [run] = history.performance
        assert run.rows >= desk.settings.perf_min_labels and run.breaches == []
    late = kept[LATE].performance[0].metrics
    assert late["roc_auc"] > 0.9 and late["calibration_error"] < 0.1
    assert set(kept[forecast.MODEL_NAME].performance[0].metrics) == {"wmape", "coverage_80"}
    assert kept[maintenance.MODEL_NAME].performance[0].metrics["roc_auc"] > 0.8

    bad = miscalibrated_copy(desk, "miscal000001")
    put_in_force(desk, good, bad)
    [raised] = detectors.drifted_models(desk.toolbox)
    assert (raised.type, raised.refs.model) == (ExceptionType.model_drift, LATE)
    assert "calibration error" in (raised.description or "")
    with desk.toolbox.session() as session:
        history = monitoring_history(session, desk.settings.models_dir, LATE)
    assert [run.version for run in history.performance] == [good, bad]
    assert history.performance[1].metrics["calibration_error"] > desk.settings.perf_max_calibration_error
    assert history.performance[1].metrics["roc_auc"] == history.performance[0].metrics["roc_auc"]  # ranks the same
    assert detectors.drifted_models(desk.toolbox)[0].refs.model == LATE  # measured once a day, read back after
    with desk.toolbox.session() as session:
        assert len(monitoring_history(session, desk.settings.models_dir, LATE).performance) == 2


def test_action_types_name_the_model_they_rest_on():
    assert monitoring.model_of("expedite_shipment") == LATE
    assert monitoring.model_of("transfer_stock") == forecast.MODEL_NAME
    assert monitoring.model_of("schedule_maintenance") == maintenance.MODEL_NAME
    assert monitoring.model_of("book_spot") is None
