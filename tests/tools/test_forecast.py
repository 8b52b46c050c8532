"""Tests of the demand forecaster, its seasonal-naive baseline, and safety stock / reorder point."""

import math
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from tools import forecast as fc
from tools.evidence import Evidence, Source
from tools.forecast import Forecast, ForecastDay, expected_shortfall

WEEKLY = [1.0, 0.9, 0.95, 1.1, 1.4, 1.8, 0.6]
START = date(2024, 1, 1)
SMALL = fc.ForecastConfig(
    trees=80,
    learning_rate=0.15,
    max_depth=4,
    min_child_weight=2,
    colsample_bytree=1.0,
    calibration_days=42,
    max_horizon=14,
)


def demand(
    days: int, *, noise: float = 0.0, seed: int = 0, promo_lift: float = 0.0, fair_lift: float = 0.0
) -> pd.DataFrame:
    """Twin-shaped demand (sku, location, day, units, price, promo, holiday, event) with a weekly pattern, and with
    `fair_lift` a "Fair" event every 11th day."""
    rng = np.random.default_rng(seed)
    rows = []
    for sku, base in (("SKU-0001", 40.0), ("SKU-0002", 120.0)):
        for location, factor in (("DC-DAL", 1.0), ("DC-HOU", 0.5)):
            for t in range(days):
                day = START + timedelta(days=t)
                promo = promo_lift > 0 and t % 9 == 0
                fair = fair_lift > 0 and t % 11 == 5
                mean = base * factor * WEEKLY[day.weekday()] * (1 + promo_lift * promo) * (1 + fair_lift * fair)
                units = max(0, round(mean * (1 + noise * rng.standard_normal())))
                rows.append((sku, location, day, units, 9.99, promo, None, "Fair" if fair else None))
    return pd.DataFrame(rows, columns=["sku", "location", "day", "units", "price", "promo", "holiday", "event"])


def truth(frame: pd.DataFrame, series: dict[str, str], first: date, count: int) -> np.ndarray:
    """Observed units of a series over `count` days from `first`."""
    mask = (frame["sku"] == series["sku"]) & (frame["location"] == series["location"])
    rows = frame[mask].set_index("day")
    return np.array([rows.loc[first + timedelta(days=k), "units"] for k in range(count)], dtype=float)


@pytest.fixture(scope="module")
def weekly_model() -> tuple[fc.ForecastModel, pd.DataFrame]:
    """A forecaster trained on a noiseless weekly pattern."""
    frame = demand(160)
    return fc.train_forecaster(frame, config=SMALL), frame


@pytest.fixture(scope="module")
def noisy() -> tuple[fc.ForecastModel, pd.DataFrame]:
    """A forecaster trained on the first 240 of 320 noisy days."""
    frame = demand(320, noise=0.25, seed=3)
    return fc.train_forecaster(frame[frame["day"] < START + timedelta(days=240)], config=SMALL), frame


def test_recovers_a_pure_weekly_pattern(weekly_model):
    model, frame = weekly_model
    series = {"sku": "SKU-0002", "location": "DC-HOU"}
    as_of = START + timedelta(days=159)
    result = fc.forecast(model, frame, series, 14, as_of)
    expected = truth(demand(174), series, as_of + timedelta(days=1), 14)
    p50 = np.array([day.p50 for day in result.days])
    assert np.max(np.abs(p50 - expected) / expected) < 0.03
    assert result.total.p50 == pytest.approx(p50.sum())
    assert all(day.p10 <= day.p50 <= day.p90 for day in result.days)
    naive = fc.seasonal_naive(frame, series, 14, as_of)
    assert [day.p50 for day in naive.days] == expected.tolist()
    assert naive.evidence.source.model == "seasonal-naive"


def test_intervals_cover_the_truth_at_about_their_nominal_rate(noisy):
    model, frame = noisy
    inside = total = 0
    for sku in ("SKU-0001", "SKU-0002"):
        for location in ("DC-DAL", "DC-HOU"):
            series = {"sku": sku, "location": location}
            for offset in (239, 253, 267, 281, 295):
                as_of = START + timedelta(days=offset)
                result = fc.forecast(model, frame, series, 14, as_of)
                actual = truth(frame, series, as_of + timedelta(days=1), 14)
                inside += sum(day.p10 <= y <= day.p90 for day, y in zip(result.days, actual, strict=True))
                total += len(actual)
    assert 0.68 <= inside / total <= 0.92


def test_known_ahead_promo_lifts_the_forecast():
    frame = demand(200, promo_lift=1.0)
    model = fc.train_forecaster(frame, config=SMALL)
    future = demand(214, promo_lift=1.0)
    series = "SKU-0001/DC-DAL"
    result = fc.forecast(model, future, series, 14, START + timedelta(days=199))
    promo_days = [d for d in result.days if (d.day - START).days % 9 == 0]
    expected = truth(future, {"sku": "SKU-0001", "location": "DC-DAL"}, result.days[0].day, 14)
    lifted = [d.p50 / expected[(d.day - result.days[0].day).days] for d in promo_days]
    assert promo_days and min(lifted) > 0.8
    assert result.evidence.facts["total_units"] == pytest.approx(result.total.p50, abs=0.1)


def test_a_known_event_ahead_lifts_the_forecast_only_when_the_calendar_tells_it():
    frame = demand(200, fair_lift=2.0)
    model = fc.train_forecaster(frame, config=SMALL)
    ahead = demand(214, fair_lift=2.0)
    calendar = ahead[["day", "holiday", "event"]].drop_duplicates("day")
    as_of = START + timedelta(days=199)
    blind = fc.forecast(model, frame, "SKU-0001/DC-DAL", 14, as_of)
    told = fc.forecast(model, frame, "SKU-0001/DC-DAL", 14, as_of, calendar=calendar)
    fairs = [k for k, day in enumerate(told.days) if (day.day - START).days % 11 == 5]
    assert fairs, "the horizon holds a fair"
    for k in fairs:
        assert told.days[k].p50 > 2 * blind.days[k].p50, "a fair the calendar names is forecast at its lift"
    others = [k for k in range(14) if k not in fairs]
    assert [told.days[k].p50 for k in others] == pytest.approx([blind.days[k].p50 for k in others], rel=0.25)


def _forecast_with_error(errors: list[float]) -> fc.Forecast:
    """A three-day forecast of 10 units a day with a given lead-time error."""
    days = [fc.ForecastDay(day=START + timedelta(days=k), p10=8, p50=10, p90=12) for k in range(1, 4)]
    evidence = Evidence(id="forecast:x", source=Source(tool="forecast", model="xgb-demand", version="v1"))
    return fc.Forecast(
        series={"sku": "SKU-0001", "location": "DC-DAL"},
        as_of=START,
        horizon_days=3,
        days=days,
        total=fc.ForecastDay(day=days[-1].day, p10=25, p50=30, p90=35),
        lead_time_error=errors,
        evidence=evidence,
    )


def test_safety_stock_and_reorder_point_known_answer():
    policy = fc.StockPolicy(lead_time_days=3, service_level=0.975)
    safety = fc.safety_stock(_forecast_with_error([4.0, 6.0, 10.0]), policy)
    assert safety.z == pytest.approx(1.95996, abs=1e-4)
    assert safety.units == pytest.approx(19.5996, abs=1e-3)
    assert safety.evidence.source.version == "v1" and safety.evidence.facts["safety_stock_units"] == 19.6
    point = fc.reorder_point(_forecast_with_error([4.0, 6.0, 10.0]), policy)
    assert point.lead_time_demand == 30 and point.units == pytest.approx(30 + safety.units)
    with pytest.raises(ValueError, match="exceeds the forecast horizon"):
        fc.safety_stock(_forecast_with_error([4.0, 6.0, 10.0]), fc.StockPolicy(lead_time_days=4, service_level=0.9))


def test_safety_stock_grows_with_forecast_error_and_service_level(weekly_model, noisy):
    levels = [0.8, 0.9, 0.95, 0.99]
    series = {"sku": "SKU-0002", "location": "DC-DAL"}
    calm = fc.forecast(weekly_model[0], weekly_model[1], series, 7, START + timedelta(days=159))
    rough = fc.forecast(noisy[0], noisy[1], series, 7, START + timedelta(days=239))
    calm_stock = [fc.safety_stock(calm, fc.StockPolicy(lead_time_days=7, service_level=s)).units for s in levels]
    rough_stock = [fc.safety_stock(rough, fc.StockPolicy(lead_time_days=7, service_level=s)).units for s in levels]
    assert rough_stock == sorted(rough_stock) and rough_stock[0] < rough_stock[-1]
    assert all(r > 3 * c for r, c in zip(rough_stock, calm_stock, strict=True))
    short = fc.safety_stock(rough, fc.StockPolicy(lead_time_days=2, service_level=0.95)).units
    assert short < rough_stock[2]


def test_training_is_deterministic_and_survives_the_registry(weekly_model, tmp_path):
    model, frame = weekly_model
    again = fc.train_forecaster(frame, config=SMALL)
    as_of = START + timedelta(days=150)
    first = fc.forecast(model, frame, "SKU-0001/DC-HOU", 10, as_of)
    assert fc.forecast(again, frame, "SKU-0001/DC-HOU", 10, as_of).days == first.days
    registered = fc.register(model, tmp_path)
    loaded = fc.load_registered(tmp_path)
    assert loaded.version == registered.version and loaded.residuals == model.residuals
    result = fc.forecast(loaded, frame, "SKU-0001/DC-HOU", 10, as_of)
    assert result.days == first.days
    assert result.evidence.source.model == "xgb-demand"
    assert result.evidence.source.version == registered.version
    assert first.evidence.source.version.startswith("unregistered-")
    assert result.evidence.drivers and all(driver.feature in model.features for driver in result.evidence.drivers)


def test_intervals_pool_the_held_out_windows_the_history_allows(noisy):
    model, _frame = noisy  # 240 days: four windows of 42 days, each after enough days to learn from
    assert model.metrics["calibration_windows"] == 4 and model.config.calibration_windows == 4
    one = fc.train_forecaster(
        demand(240, noise=0.25, seed=3), config=SMALL.model_copy(update={"calibration_windows": 1})
    )
    assert one.metrics["calibration_windows"] == 1
    assert model.metrics["calibration_origins"] == 4 * one.metrics["calibration_origins"]  # 4 series x 42 origins each
    short = fc.train_forecaster(demand(120), config=SMALL)  # 120 days: a second window would leave 35 to learn from
    assert short.metrics["calibration_windows"] == 1


def test_rejects_bad_requests(weekly_model):
    model, frame = weekly_model
    with pytest.raises(ValueError, match="max_horizon"):
        fc.forecast(model, frame, "SKU-0001/DC-DAL", 30, START + timedelta(days=100))
    with pytest.raises(ValueError, match="no history"):
        fc.forecast(model, frame, "SKU-0009/DC-DAL", 7, START + timedelta(days=100))
    with pytest.raises(ValueError, match="outside the history"):
        fc.forecast(model, frame, "SKU-0001/DC-DAL", 7, START - timedelta(days=3))
    with pytest.raises(ValueError, match="lacks columns"):
        fc.train_forecaster(frame.drop(columns=["units"]), config=SMALL)


def test_a_days_forecast_is_the_same_whatever_horizon_is_asked(noisy):
    model, frame = noisy
    series = {"sku": "SKU-0001", "location": "DC-DAL"}
    as_of = START + timedelta(days=239)
    short, long = (fc.forecast(model, frame, series, days, as_of) for days in (7, model.config.max_horizon))
    assert [day.p50 for day in short.days] == [day.p50 for day in long.days[:7]]
    assert short.total.p50 == pytest.approx(sum(day.p50 for day in long.days[:7]))


def test_several_series_in_one_call_are_forecast_as_each_alone(noisy):
    model, frame = noisy
    every = [{"sku": sku, "location": dc} for sku in ("SKU-0001", "SKU-0002") for dc in ("DC-DAL", "DC-HOU")]
    as_of = START + timedelta(days=239)
    together = fc.forecasts(model, frame, every, 10, as_of, explain=[every[2]])
    for series, batched in zip(every, together, strict=True):
        alone = fc.forecast(model, frame[(frame["sku"] == series["sku"])], series, 10, as_of)
        assert batched.series == series
        assert batched.model_dump(exclude={"evidence"}) == alone.model_dump(exclude={"evidence"})
        explained = series == every[2]
        assert batched.evidence.drivers == (alone.evidence.drivers if explained else [])
        assert batched.evidence.model_dump(exclude={"drivers"}) == alone.evidence.model_dump(exclude={"drivers"})


def test_expected_shortfall_is_the_normal_loss_of_the_forecast_not_a_certain_loss():
    days = [ForecastDay(day=date(2026, 11, 3) + timedelta(days=k), p10=6.0, p50=10.0, p90=14.0) for k in range(4)]
    outlook = Forecast(
        series={"sku": "SKU-1", "location": "DC-1"},
        as_of=date(2026, 11, 2),
        horizon_days=4,
        days=days,
        total=ForecastDay(day=date(2026, 11, 6), p10=30.0, p50=40.0, p90=50.0),
        lead_time_error=[3.0, 4.0, 6.0, 8.0],
        evidence=Evidence(id="forecast:test", source=Source(tool="forecast", model="m", version="1")),
    )
    # E[(D - S)+] for D ~ N(40, 8) and S = 40 is 8 x phi(0) = 8 / sqrt(2 pi)
    assert expected_shortfall(outlook, 4, 40.0) == pytest.approx(8 / math.sqrt(2 * math.pi))
    assert expected_shortfall(outlook, 4, 0.0) == pytest.approx(40.0, abs=1e-6)  # no stock: the whole demand
    assert expected_shortfall(outlook, 4, 200.0) == pytest.approx(0.0, abs=1e-9)
    assert expected_shortfall(outlook, 2, 20.0) == pytest.approx(4 / math.sqrt(2 * math.pi))  # two days: N(20, 4)
    assert expected_shortfall(outlook, 0, 0.0) == 0.0
    grid = np.linspace(0.0, 120.0, 240_001)  # the same expectation by numerical integration
    density = np.exp(-0.5 * ((grid - 40.0) / 8.0) ** 2) / (8.0 * math.sqrt(2 * math.pi))
    integral = float(np.sum(np.maximum(grid - 35.0, 0.0) * density) * (grid[1] - grid[0]))
    assert expected_shortfall(outlook, 4, 35.0) == pytest.approx(integral, rel=1e-4)
