"""Performance measures: ROC-AUC and calibration error of probabilities, WMAPE and coverage of forecasts, and the
limits that flag a model only once enough outcomes are known."""

import numpy as np
import pytest

from tools import performance
from tools.performance import PerformanceLimits

LIMITS = PerformanceLimits(min_labels=10, max_auc_drop=0.05, max_calibration_error=0.1, coverage_band=(0.7, 0.9))


def test_roc_auc_ranks_positives_above_negatives_and_counts_ties_half():
    labels = np.array([0, 0, 1, 1])
    assert performance.roc_auc(np.array([0.1, 0.2, 0.8, 0.9]), labels) == 1.0
    assert performance.roc_auc(np.array([0.9, 0.8, 0.2, 0.1]), labels) == 0.0
    assert performance.roc_auc(np.array([0.5, 0.5, 0.5, 0.5]), labels) == 0.5
    assert performance.roc_auc(np.array([0.1, 0.4, 0.35, 0.8]), labels) == 0.75
    assert performance.roc_auc(np.array([0.3, 0.7]), np.array([1, 1])) is None


def test_calibration_error_is_small_for_honest_probabilities_and_large_for_inflated_ones():
    rng = np.random.default_rng(7)
    p = rng.uniform(0, 1, 20_000)
    labels = (rng.uniform(0, 1, p.size) < p).astype(int)
    assert performance.calibration_error(p, labels) < 0.02
    inflated = np.clip(p + 0.4, 0, 1)
    assert performance.calibration_error(inflated, labels) == pytest.approx(0.33, abs=0.03)


def test_wmape_and_interval_coverage():
    actual = np.array([10.0, 0.0, 5.0, 5.0])
    assert performance.wmape(actual, np.array([8.0, 1.0, 5.0, 7.0])) == pytest.approx(5 / 20)
    assert performance.wmape(np.zeros(3), np.ones(3)) is None
    assert performance.coverage(actual, actual - 1, actual + 1) == 1.0
    assert performance.coverage(actual, np.array([11.0, 0, 0, 6]), np.array([12.0, 1, 9, 9])) == 0.5


def test_limits_name_each_breach_and_stay_quiet_below_the_minimum_of_outcomes():
    bad = {"roc_auc": 0.80, "calibration_error": 0.25}
    assert performance.breaches("classifier", bad, 9, 0.95, LIMITS) == []
    assert performance.breaches("classifier", bad, 10, 0.95, LIMITS) == [
        "AUC 0.800 fell 0.150 below its reference 0.950",
        "calibration error 0.250 above 0.1",
    ]
    assert performance.breaches("classifier", {"roc_auc": 0.93, "calibration_error": 0.05}, 50, 0.95, LIMITS) == []
    assert performance.breaches("classifier", bad | {"roc_auc": 0.5}, 50, None, LIMITS) == [
        "calibration error 0.250 above 0.1"
    ]
    assert performance.breaches("forecast", {"wmape": 0.3, "coverage_80": 0.95}, 400, None, LIMITS) == [
        "80% interval coverage 95.0% (95% CI 92.4% to 96.7% over 400 series-days) outside 70% to 90%"
    ]
    assert performance.breaches("forecast", {"wmape": 0.3, "coverage_80": 0.8}, 50, None, LIMITS) == []


def test_a_coverage_just_past_the_band_on_few_outcomes_is_within_its_sampling_error():
    assert performance.breaches("forecast", {"coverage_80": 0.95}, 50, None, LIMITS) == []
    assert performance.breaches("forecast", {"coverage_80": 0.908}, 420, None, LIMITS) == []
    [low] = performance.breaches("forecast", {"coverage_80": 0.55}, 420, None, LIMITS)
    assert low.startswith("80% interval coverage 55.0%")


def test_classifier_metrics_report_the_observed_and_predicted_rates():
    measured = performance.classifier_metrics(np.array([0.9, 0.9, 0.9, 0.9]), np.array([0, 0, 0, 1]))
    assert measured == {
        "calibration_error": 0.65,
        "observed_rate": 0.25,
        "mean_probability": 0.9,
        "roc_auc": 0.5,
    }
