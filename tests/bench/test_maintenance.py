"""Tests of the maintenance benchmarks on a slice of the public data."""

import pandas as pd
import pytest

from bench import maintenance
from bench.data import DataMissing
from tools.maintenance import BoosterParams

QUICK = BoosterParams(n_estimators=60, learning_rate=0.15)


def _or_skip(run):
    """Run a benchmark, skipping when the public data is absent."""
    try:
        return run()
    except DataMissing as missing:
        pytest.skip(str(missing))


def test_ai4i_cross_validation_on_a_slice():
    result = _or_skip(lambda: maintenance.ai4i_cv(folds=2, rows=4000, params=QUICK))
    assert result.folds == 2 and len(result.per_fold) == 2 and result.rows == 4000
    assert result.roc_auc > 0.9 and 0.3 < result.pr_auc <= 1.0


def test_ai4i_features_exclude_the_failure_mode_flags():
    path = _or_skip(lambda: maintenance.shared_data("maintenance", "ai4i2020", "ai4i2020.csv"))
    frame = pd.read_csv(path, encoding="utf-8-sig", nrows=5)
    features = maintenance.ai4i_features(frame)
    assert not {"TWF", "HDF", "PWF", "OSF", "RNF", "Machine failure"} & set(features.columns)
    assert features["power_w"].iloc[0] == pytest.approx(42.8 * 1551 * 2 * 3.141592653589793 / 60)


def test_cmapss_rul_on_a_slice():
    result = _or_skip(lambda: maintenance.cmapss_rul(train_units=40, test_units=20, params=QUICK))
    assert result.engines == 20
    assert "s1" not in result.sensors and "s2" in result.sensors  # constant sensors dropped
    assert 0 < result.rmse < 30


def test_missing_data_skips_with_json(tmp_path, skip_reason):
    assert "benchmark data not found" in skip_reason(maintenance.app, ["--json"], YM_SHARED_DATA_DIR=str(tmp_path))
