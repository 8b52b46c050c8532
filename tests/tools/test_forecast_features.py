"""Feature building for the demand forecaster, checked against pandas computed one series at a time."""

from datetime import date

import numpy as np
import pandas as pd
import pytest

from tools.forecast_features import FeatureSpec, _trailing_mean, _trailing_std, build_panels, normalise_history

SPEC = FeatureSpec(id_columns=("sku", "location"), regressors=(), recent_lags=7, windows=(7, 28))


def test_trailing_statistics_equal_pandas_rolling_with_unknown_days():
    values = np.random.default_rng(3).poisson(5.0, 200).astype(float)
    values[[0, 1, 40, 41, 42, 150]] = np.nan
    values[60:100] = np.nan  # a whole window unknown
    origins = np.arange(200)
    for window in (1, 7, 28):
        rolling = pd.Series(values).rolling(window, min_periods=1)
        np.testing.assert_allclose(_trailing_mean(values, window, origins), rolling.mean(), rtol=1e-12)
        np.testing.assert_allclose(_trailing_std(values, window, origins), rolling.std(), rtol=1e-9, atol=1e-12)


def test_a_constant_window_has_a_deviation_of_exactly_zero():
    assert _trailing_std(np.full(30, 4.0), 28, np.array([29]))[0] == 0.0


def _history() -> pd.DataFrame:
    """Two series with different first days, a missing day, a duplicated day and a gap in price."""
    rows = [
        {"sku": "A", "location": "X", "day": "2026-01-01", "units": 3, "price": 2.0},
        {"sku": "A", "location": "X", "day": "2026-01-02", "units": 4, "price": None},
        {"sku": "A", "location": "X", "day": "2026-01-04", "units": 6, "price": 2.5, "holiday": "H"},
        {"sku": "B", "location": "X", "day": "2026-01-03", "units": 1, "price": None},
        {"sku": "B", "location": "X", "day": "2026-01-03", "units": 2, "price": 9.0},
        {"sku": "B", "location": "X", "day": "2026-01-05", "units": 5, "price": 8.0},
    ]
    return normalise_history(pd.DataFrame(rows), SPEC)


def _labels(values: np.ndarray) -> list[str | None]:
    """A panel's holidays or events, with no label (None or NaN) as None."""
    return [value if isinstance(value, str) else None for value in values]


def test_panels_are_each_series_on_its_own_gap_free_calendar():
    calendar = pd.DataFrame({"day": pd.to_datetime(["2026-01-03", "2026-01-06"]), "holiday": [None, "C"], "event": "E"})
    a, b = build_panels(_history(), SPEC, observed_until=date(2026, 1, 4), until=date(2026, 1, 6), calendar=calendar)
    assert a.ids == {"sku": "A", "location": "X"} and b.ids == {"sku": "B", "location": "X"}
    assert list(a.days.strftime("%d")) == ["01", "02", "03", "04", "05", "06"]
    assert list(b.days.strftime("%d")) == ["03", "04", "05", "06"]
    np.testing.assert_array_equal(a.units, [3, 4, np.nan, 6, np.nan, np.nan])
    np.testing.assert_array_equal(b.units, [2, np.nan, np.nan, np.nan])  # the last of a day's rows; 5th unobserved
    np.testing.assert_array_equal(a.price, [2.0, 2.0, 2.0, 2.5, 2.5, 2.5])  # filled within the series only
    np.testing.assert_array_equal(b.price, [9.0, 9.0, 8.0, 8.0])
    assert _labels(a.holiday) == [None, None, None, "H", None, "C"]  # held days keep theirs; the rest from the calendar
    assert _labels(b.event) == [None, None, None, "E"]  # the 4th is in neither
    assert a.level[3] == pytest.approx(1.0) and b.level[0] == 1.0  # under 7 known days: the floor of one unit
