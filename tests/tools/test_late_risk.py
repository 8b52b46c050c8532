"""Tests of the late-delivery risk model, its calibration, drivers and the historical-rate baseline."""

import numpy as np
import pandas as pd
import pytest

from tools.late_risk import (
    Calibration,
    LateRiskModel,
    LateRiskParams,
    fit_calibration,
    historical_rate_baseline,
    score_shipments,
    train_late_risk,
)

FAST = LateRiskParams(n_estimators=60, learning_rate=0.2, max_depth=3, min_child_weight=1.0)
START = pd.Timestamp("2026-01-01", tz="UTC")


def shipment_history(n: int = 1200, seed: int = 5) -> pd.DataFrame:
    """A `shipment_frame`-shaped history where a shipment is late exactly when the origin weather is above 0.7."""
    rng = np.random.default_rng(seed)
    origin = rng.choice(["DAL", "HOU", "ATL"], n)
    dest = rng.choice(["DAL", "HOU", "CHI"], n)
    shipped = START + pd.to_timedelta(np.sort(rng.uniform(0, 180, n)), unit="D")
    planned = rng.uniform(3, 30, n)
    slack = rng.uniform(2, 12, n)
    weather = rng.uniform(0, 1, n)
    late = weather > 0.7
    return pd.DataFrame(
        {
            "shipment_id": [f"SHP-{i + 1:06d}" for i in range(n)],
            "lane": [f"{o}-{d}" for o, d in zip(origin, dest, strict=True)],
            "origin": [f"DC-{o}" for o in origin],
            "dest_region": dest,
            "carrier": pd.Series(rng.choice(["CAR-SWIFTLINE", "CAR-METRO", "CAR-PRAIRIE", None], n), dtype=object),
            "truck": None,
            "distance_miles": planned * 40,
            "units": rng.integers(5, 120, n),
            "weight_kg": rng.uniform(50, 900, n),
            "shipped_at": shipped,
            "promised_at": shipped + pd.to_timedelta(planned + slack, unit="h"),
            "delivered_at": shipped + pd.to_timedelta(planned + np.where(late, slack + 4, slack - 1), unit="h"),
            "planned_transit_hours": planned,
            "slack_hours": slack,
            "scan_delay_minutes": rng.integers(0, 30, n),
            "weather": weather,
            "congestion": rng.uniform(0, 1, n),
            "late": pd.Series(late, dtype=object),
            "status": "delivered",
        }
    )


@pytest.fixture(scope="module")
def history():
    return shipment_history()


@pytest.fixture(scope="module")
def model(history):
    return train_late_risk(history.iloc[:900], FAST)


def test_separates_an_obviously_separable_case(history, model):
    test = history.iloc[900:]
    p_late = model.predict(test)
    late = test["late"].astype(bool).to_numpy()
    assert p_late[late].min() > p_late[~late].max()
    assert model.metrics["holdout_roc_auc"] > 0.99


def test_drivers_name_the_feature_that_drives_the_label(history, model):
    risks = score_shipments(model, history.iloc[900:960], top_k=3)
    assert len(risks) == 60 and all(len(risk.drivers) == 3 for risk in risks)
    assert all(risk.drivers[0].feature == "weather" for risk in risks)
    stormy = next(risk for risk, w in zip(risks, history["weather"].iloc[900:960], strict=True) if w > 0.9)
    weather = history.set_index("shipment_id").at[stormy.shipment_id, "weather"]
    assert stormy.drivers[0].value == pytest.approx(weather, abs=1e-4)
    assert stormy.drivers[0].contribution > 0 and stormy.p_late > 0.9


def test_calibration_maps_into_unit_interval_and_is_monotone():
    rng = np.random.default_rng(1)
    raw = rng.uniform(0, 1, 500)
    label = (rng.uniform(0, 1, 500) < raw**2).astype(int)
    calibration = fit_calibration(raw, label)
    grid = calibration.apply(np.linspace(0, 1, 101))
    assert calibration.slope > 0
    assert np.all((grid > 0) & (grid < 1)) and np.all(np.diff(grid) >= 0)
    assert calibration.apply(np.array([0.5]))[0] < 0.5  # raw scores overstate risk here: 0.5 means about 0.25
    assert fit_calibration(raw, np.zeros(500, dtype=int)) == Calibration()  # one outcome: the identity


def test_training_is_deterministic_and_versioned(history, model):
    again = train_late_risk(history.iloc[:900], FAST)
    assert again.version == model.version and len(model.version) == 12
    np.testing.assert_array_equal(again.predict(history.iloc[900:]), model.predict(history.iloc[900:]))
    other = train_late_risk(history.iloc[:899], FAST)
    assert other.version != model.version


def test_evidence_carries_model_version_and_facts(history, model):
    row = history.iloc[[950]].assign(carrier=None)
    risk = score_shipments(model, row)[0]
    assert risk.evidence.inputs["carrier"] == "OWN-FLEET" and risk.evidence.inputs["lane"] == row["lane"].iat[0]
    assert risk.evidence.source.model == "xgb-late-risk" and risk.evidence.source.version == model.version
    assert risk.evidence.facts == {"p_late": risk.p_late} and risk.evidence.inputs["shipment_id"] == risk.shipment_id
    assert risk.evidence.drivers == risk.drivers


def test_unseen_categories_and_open_shipments_are_scored(history, model):
    unseen = {"lane": "LAX-LAX", "carrier": ["CAR-NEW", None]}
    open_now = history.iloc[[950, 951]].assign(**unseen, late=None, delivered_at=pd.NaT)
    risks = score_shipments(model, open_now)
    assert [risk.shipment_id for risk in risks] == list(open_now["shipment_id"])
    assert all(0 <= risk.p_late <= 1 and risk.drivers for risk in risks)


def test_register_and_load_round_trip(tmp_path, history, model):
    meta = model.register(tmp_path)
    loaded = LateRiskModel.load(tmp_path / "xgb-late-risk" / meta.version)
    assert loaded.version == meta.version and loaded.calibration == model.calibration
    np.testing.assert_array_equal(loaded.predict(history.iloc[900:]), model.predict(history.iloc[900:]))


def test_historical_rate_baseline_shrinks_to_lane_then_overall():
    frame = pd.DataFrame(
        {
            "lane": ["DAL-HOU"] * 4 + ["ATL-ATL"] * 2,
            "carrier": pd.Series(["CAR-A", "CAR-A", "CAR-B", "CAR-B", None, None], dtype=object),
            "late": pd.Series([True, True, False, False, True, False], dtype=object),
            "shipped_at": START + pd.to_timedelta(range(6), unit="D"),
            "shipment_id": [f"SHP-{i}" for i in range(6)],
        }
    )
    exact = historical_rate_baseline(frame, prior_shipments=0)
    assert exact.predict(frame).tolist() == [1.0, 1.0, 0.0, 0.0, 0.5, 0.5]
    unseen = pd.DataFrame({"lane": ["DAL-HOU", "CHI-CHI"], "carrier": ["CAR-C", "CAR-A"]})
    assert exact.predict(unseen).tolist() == [0.5, 0.5]  # lane rate, then the overall rate
    shrunk = historical_rate_baseline(frame, prior_shipments=2)
    assert shrunk.predict(frame)[0] == pytest.approx((2 + 2 * 0.5) / 4)


def test_a_batch_scores_each_shipment_as_alone(history, model):
    rows = history.iloc[[950, 951, 952]]
    what_ifs = pd.concat(
        [rows, rows.assign(carrier="CAR-METRO", slack_hours=rows["slack_hours"] + 3)], ignore_index=True
    )
    batched = score_shipments(model, what_ifs)
    alone = [score_shipments(model, what_ifs.iloc[[k]])[0] for k in range(len(what_ifs))]
    assert [risk.model_dump() for risk in batched] == [risk.model_dump() for risk in alone]
