"""Tests of the M5 store-level demand benchmark on a short run."""

import json

import pytest

from bench import forecast as bench
from bench.data import DataMissing


@pytest.fixture(scope="module")
def short_run() -> bench.BenchResult:
    """The benchmark at the official cutoff with a small, fast model."""
    try:
        bench.load_m5()
    except DataMissing as missing:
        pytest.skip(str(missing))
    config = bench.M5_CONFIG.model_copy(update={"trees": 15, "train_days": 400, "max_rows": 20_000})
    return bench.run(1941, config, progress=lambda _: None)


def test_seasonal_naive_reproduces_the_published_figures(short_run):
    assert pytest.approx(0.718, abs=0.001) == short_run.baseline_seasonal_naive.L3
    assert pytest.approx(0.5600, abs=0.0005) == short_run.baseline_seasonal_naive.L1


def test_short_run_scores_every_series_and_level(short_run):
    assert set(short_run.per_series) == {"TOTAL", *bench.STATE_WEIGHTS, *bench.STORE_WEIGHTS}
    assert short_run.per_series["TOTAL"].level == "L1" and short_run.per_series["CA_3"].weight == 0.1514
    assert short_run.rmsse.L3 < short_run.baseline_seasonal_naive.L3
    assert 0.4 < short_run.interval_coverage_p10_p90 <= 1.0
    assert short_run.bias == short_run.per_series["TOTAL"].bias and -0.2 < short_run.bias < 0.2
    payload = json.loads(short_run.model_dump_json())
    assert payload["horizon"] == 28 and set(payload["rmsse"]) == {"L1", "L2", "L3"}


def test_scale_rule_reproduces_the_official_scales():
    try:
        sales, _ = bench.load_m5()
    except DataMissing as missing:
        pytest.skip(str(missing))
    official = bench.rmsse_scales(sales, 1941)
    computed = bench.computed_scales(sales, 1941)[official.index]
    assert official["CA_1"] == pytest.approx(866.4987, abs=1e-3)
    assert computed.tolist() == pytest.approx(official.tolist(), rel=1e-9)
    assert bench.rmsse_scales(sales, 1913)["CA_1"] != official["CA_1"]


def test_missing_data_prints_a_skip_object(tmp_path, skip_reason):
    assert "benchmark data not found" in skip_reason(bench.app, ["--json"], YM_SHARED_DATA_DIR=str(tmp_path))
