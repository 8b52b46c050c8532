"""Tests of the truck failure-risk and remaining-useful-life models and their shared degradation features."""

import numpy as np
import pandas as pd
import pytest

from tools.maintenance import (
    BoosterParams,
    MaintenanceModels,
    rolling_features,
    score_trucks,
    time_to_next_event,
    train_failure_risk,
    train_rul,
)

START = pd.Timestamp("2026-01-01", tz="UTC")
FAST = BoosterParams(n_estimators=60, max_depth=3, learning_rate=0.2)


def _fleet(trucks: int = 6, days: int = 160, seed: int = 3) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Daily telemetry where only engine temperature climbs in the 10 days before each failure."""
    rng = np.random.default_rng(seed)
    rows, failures = [], []
    for t in range(trucks):
        truck = f"TRK-{t + 1:03d}"
        failure_days = sorted(rng.choice(np.arange(25, days - 5), size=2, replace=False))
        if failure_days[1] - failure_days[0] < 20:
            failure_days = [failure_days[0], min(failure_days[0] + 30, days - 1)]
        failures += [
            {"truck": truck, "at": START + pd.Timedelta(days=int(d), hours=12), "component": "engine"}
            for d in failure_days
        ]
        for d in range(days):
            ahead = [f - d for f in failure_days if 0 <= f - d <= 10]
            heat = (10 - ahead[0]) * 3.0 if ahead else 0.0
            rows.append(
                {
                    "truck": truck,
                    "at": START + pd.Timedelta(days=d),
                    "engine_temp_c": 90 + heat + rng.normal(0, 1.0),
                    "oil_pressure_kpa": 300 + rng.normal(0, 5.0),
                    "vibration_mm_s": 4 + rng.normal(0, 0.5),
                    "miles_since_service": float(d * 150 % 12000),
                    "fault_codes": 0,
                    "model_year": 2018 + t % 4,
                    "odometer_miles": 100000.0 + d * 150,
                }
            )
    telemetry = pd.DataFrame(rows).sample(frac=1.0, random_state=seed)  # arrival order must not matter
    return telemetry, pd.DataFrame(failures)


@pytest.fixture(scope="module")
def fleet():
    return _fleet()


@pytest.fixture(scope="module")
def models(fleet):
    telemetry, failures = fleet
    return MaintenanceModels(
        failure=train_failure_risk(telemetry, failures, horizon_days=7, params=FAST),
        rul=train_rul(telemetry, failures, cap_days=30, params=FAST),
    )


def test_rolling_mean_and_slope_of_a_line():
    frame = pd.DataFrame({"unit": [1] * 5 + [2] * 3, "t": [5, 1, 2, 3, 4, 1, 2, 3], "y": [10.0, 2, 4, 6, 8, 7, 7, 7]})
    rolled = rolling_features(frame, entity="unit", time="t", columns=["y"], window=3)
    assert rolled.loc[0, "y_mean3"] == pytest.approx(8.0)  # t=3..5 of unit 1: 6, 8, 10
    assert rolled.loc[0, "y_slope3"] == pytest.approx(2.0)
    assert rolled.loc[1, "y_slope3"] == 0.0  # a single point has no slope
    assert rolled.loc[7, "y_slope3"] == pytest.approx(0.0) and rolled.loc[7, "y_drift"] == pytest.approx(0.0)
    assert rolled.loc[0, "y_drift"] == pytest.approx(8.0 - 6.0)  # last 3 vs running mean of 2..10


def test_time_to_next_event_caps_and_censors():
    frame = pd.DataFrame({"unit": ["a"] * 6, "t": [0.0, 1, 2, 3, 4, 5]})
    events = pd.DataFrame({"unit": ["a"], "t": [2.0]})
    until = time_to_next_event(frame, events, entity="unit", time="t", cap=2)
    assert until.iloc[:3].tolist() == [2.0, 1.0, 0.0]
    assert until.iloc[3] == 2.0  # no event ahead, but two more days observed: at least the cap
    assert until.iloc[4:].isna().all()  # record ends too soon to know


def test_failure_drivers_name_the_drifting_sensor(fleet, models):
    telemetry, failures = fleet
    first = failures.sort_values("at").iloc[0]
    risks = score_trucks(models, telemetry, first["at"] - pd.Timedelta(days=2))
    assert risks[0].truck == first["truck"]
    assert risks[0].p_fail > 0.5 > risks[-1].p_fail
    assert risks[0].drivers[0].feature.startswith("engine_temp_c")
    assert risks[0].rul_days < risks[-1].rul_days


def test_evidence_carries_model_version_and_facts(fleet, models):
    telemetry, _ = fleet
    risk = score_trucks(models, telemetry, START + pd.Timedelta(days=100))[0]
    assert risk.evidence.source.model == "xgb-failure-risk" and risk.evidence.source.version == models.version
    assert risk.evidence.facts["p_fail"] == risk.p_fail and risk.evidence.facts["horizon_days"] == 7
    assert 0.0 <= risk.rul_days <= 30.0


def test_training_is_deterministic(fleet, models):
    telemetry, failures = fleet
    again = train_failure_risk(telemetry, failures, horizon_days=7, params=FAST)
    assert again.data_hash == models.failure.data_hash
    as_of = START + pd.Timedelta(days=80)
    left = score_trucks(models, telemetry, as_of)
    right = score_trucks(models.model_copy(update={"failure": again}), telemetry, as_of)
    assert [r.p_fail for r in left] == [r.p_fail for r in right]


def test_save_load_and_register_round_trip(tmp_path, fleet, models):
    telemetry, _ = fleet
    meta = models.register(tmp_path)
    loaded = MaintenanceModels.load(tmp_path / "xgb-failure-risk" / meta.version)
    assert loaded.version == meta.version
    as_of = START + pd.Timedelta(days=90)
    reloaded, original = score_trucks(loaded, telemetry, as_of), score_trucks(models, telemetry, as_of)
    assert [r.p_fail for r in reloaded] == [r.p_fail for r in original]
