"""Tests of the late-risk benchmark: its metrics, the time split, and the skip without a seeded twin."""

import numpy as np
import pytest

from bench import late_risk
from bench.data import DataMissing
from tests.tools.test_late_risk import FAST, shipment_history
from twin.db import make_engine, migrate


def test_expected_calibration_error_of_known_cases():
    label = np.array([0, 0, 0, 0, 1, 1, 1, 1, 1, 1])
    assert late_risk.expected_calibration_error(label, np.full(10, 0.6)) == pytest.approx(0.0)
    assert late_risk.expected_calibration_error(label, np.full(10, 0.95)) == pytest.approx(0.35)
    split = np.array([0.05] * 4 + [0.95] * 6)
    assert late_risk.expected_calibration_error(label, split) == pytest.approx(0.4 * 0.05 + 0.6 * 0.05)


def test_time_split_model_beats_the_historical_rate():
    result = late_risk.evaluate(shipment_history(), params=FAST)
    assert result.train + result.test == 1200 and 250 <= result.test <= 350
    assert result.model.roc_auc > 0.95 > result.baseline.roc_auc
    assert result.model.brier < result.baseline.brier


def test_seeded_twin_slice(databases):
    frame = late_risk.load_shipments(databases.seeded("sqlite"))
    result = late_risk.evaluate(frame.head(3000), params=FAST)
    assert result.model.roc_auc > result.baseline.roc_auc and 0 <= result.model.ece < 0.2


def test_empty_database_skips_with_json(tmp_path, skip_reason):
    reason = skip_reason(late_risk.app, ["--json"], YM_DATA_DIR=str(tmp_path), YM_DATABASE_URL=None)
    assert "run `yardmaster seed` first" in reason


def test_migrated_database_without_shipments_is_missing_data(tmp_path):
    url = f"sqlite:///{tmp_path / 'twin.db'}"
    migrate(make_engine(url))
    with pytest.raises(DataMissing, match="yardmaster seed"):
        late_risk.load_shipments(url)
