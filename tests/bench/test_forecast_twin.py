"""Tests of the demand forecaster's interval coverage on a twin's own history."""

from bench import forecast_twin as bench
from tests.tools.test_forecast import SMALL, demand

MONTH = SMALL.model_copy(update={"max_horizon": 28, "calibration_days": 35, "calibration_windows": 2})


def test_the_held_out_month_is_scored_per_series_day_volume_third_and_total():
    result = bench.evaluate(demand(220, noise=0.25, seed=5), MONTH)
    assert result.series == 4 and result.cutoff == "2024-07-10"  # the last observed day (2024-08-07) less 28
    assert 0.5 <= result.coverage_p10_p90 <= 1.0 and len(result.coverage_by_volume_third) == 3
    assert 0.0 <= result.total_coverage_p10_p90 <= 1.0 and 0.0 < result.wape < 0.5
    assert -0.2 < result.bias < 0.2


def test_missing_twin_prints_a_skip_object(tmp_path, skip_reason):
    reason = skip_reason(bench.app, ["--json"], YM_DATABASE_URL=f"sqlite:///{tmp_path / 'absent.db'}")
    assert "run `yardmaster seed` first" in reason and not (tmp_path / "absent.db").exists()
