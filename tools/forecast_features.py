"""Feature rows for the demand forecaster: one row per series, forecast origin and horizon day,
every number scaled by the series' recent level so that one global model serves large and small series."""

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from twin.typed_pandas import as_frame, as_series, as_timestamp

DAY = "day"
TARGET = "units"
PRICE, PROMO, HOLIDAY, EVENT = "price", "promo", "holiday", "event"
RECENT = 28
YEAR = 364
SAME_WEEKDAY_WEEKS = 4
CALENDAR = ["horizon", "weekday", "month", "day_of_year", "day_of_month"]
TARGET_DAY = [HOLIDAY, EVENT, "occasion_prev_day", "occasion_next_day", PROMO, "price_ratio"]
WEEKLY = ["same_weekday_last", "same_weekday_mean_4"]
YEARLY = ["last_year", "last_year_week", "last_year_ahead", "year_growth"]


@dataclass(frozen=True)
class FeatureSpec:
    """What the feature rows hold: id columns, known-ahead regressors, recent lags, rolling windows, level window."""

    id_columns: tuple[str, ...]
    regressors: tuple[str, ...]
    recent_lags: int
    windows: tuple[int, ...]
    level_days: int = RECENT
    yearly: bool = True

    def names(self) -> list[str]:
        """Feature names in column order."""
        origin = ["log_level", *(f"lag_{k}" for k in range(self.recent_lags))]
        origin += [f"mean_{w}" for w in self.windows] + ["std_28", "zero_share_28"]
        yearly = YEARLY if self.yearly else []
        return [*self.id_columns, *origin, *CALENDAR, *TARGET_DAY, *self.regressors, *WEEKLY, *yearly]

    def categorical(self) -> list[str]:
        """Names of the features that are category codes."""
        return [*self.id_columns, HOLIDAY, EVENT]


@dataclass(frozen=True)
class Panel:
    """One series on a gap-free daily calendar: units (NaN when unknown) and per-day covariates."""

    ids: dict[str, str]
    days: pd.DatetimeIndex
    units: np.ndarray
    level: np.ndarray
    price: np.ndarray
    promo: np.ndarray
    holiday: np.ndarray
    event: np.ndarray
    regressors: dict[str, np.ndarray]

    @property
    def first_day(self) -> pd.Timestamp:
        """The panel's first calendar day."""
        return as_timestamp(self.days[0])

    def index_of(self, day: date) -> int:
        """Position of a calendar day in the panel."""
        position = int((pd.Timestamp(day) - self.first_day).days)
        if not 0 <= position < len(self.days):
            last = as_timestamp(self.days[-1])
            raise ValueError(
                f"{day} is outside the history of series {self.ids} ({self.first_day.date()}..{last.date()})"
            )
        return position


@dataclass(frozen=True)
class FeatureRows:
    """A feature matrix with, per row, the series level used to scale it and the target-day position."""

    matrix: np.ndarray
    level: np.ndarray
    target: np.ndarray
    origin: np.ndarray
    horizon: np.ndarray


def normalise_history(history: pd.DataFrame, spec: FeatureSpec) -> pd.DataFrame:
    """Check the required columns and fill the optional ones (price, promo, holiday, event) with neutral values."""
    missing = [column for column in [*spec.id_columns, DAY, TARGET, *spec.regressors] if column not in history.columns]
    if missing:
        raise ValueError(f"history lacks columns {missing}; it has {list(history.columns)}")
    frame = history.copy()
    frame[DAY] = _midnights(as_series(frame[DAY]))
    frame[TARGET] = as_series(pd.to_numeric(as_series(frame[TARGET]), errors="coerce")).astype(float)
    frame[PRICE] = pd.to_numeric(frame[PRICE], errors="coerce") if PRICE in frame else 1.0
    frame[PROMO] = as_series(frame[PROMO]).fillna(False).astype(float) if PROMO in frame else 0.0
    for column in (HOLIDAY, EVENT):
        frame[column] = frame[column].where(frame[column].notna(), None) if column in frame else None
    for column in spec.id_columns:
        frame[column] = frame[column].astype(str)
    return frame.sort_values([*spec.id_columns, DAY])


def build_panels(
    frame: pd.DataFrame,
    spec: FeatureSpec,
    *,
    observed_until: date | None = None,
    until: date | None = None,
    calendar: pd.DataFrame | None = None,
) -> list[Panel]:
    """Gap-free daily panels per series from a normalised history; units after `observed_until` are hidden, and a
    day the history does not hold takes its holiday and event from `calendar` (day, holiday, event) when given.

    All series are put on their calendars in one reindex and cut apart by position."""
    keys = [*spec.id_columns]
    rows = frame.drop_duplicates([*keys, DAY], keep="last").assign(_held=True)
    bounds = rows.groupby(keys, sort=True)[DAY].agg(["min", "max"])
    if until is not None:
        bounds["max"] = as_series(bounds["max"]).clip(lower=pd.Timestamp(until))
    lengths = (as_series(bounds["max"] - bounds["min"]).dt.days + 1).to_numpy()
    ends = np.cumsum(lengths)
    step = np.arange(ends[-1] if len(ends) else 0) - np.repeat(ends - lengths, lengths)
    days = np.repeat(as_series(bounds["min"]).to_numpy(), lengths) + step.astype("timedelta64[D]")
    series = [np.repeat(bounds.index.get_level_values(key), lengths) for key in keys]
    daily = rows.set_index([*keys, DAY]).reindex(pd.MultiIndex.from_arrays([*series, days], names=[*keys, DAY]))
    group = np.repeat(np.arange(len(lengths)), lengths)
    units = daily[TARGET].to_numpy(dtype=float)
    if observed_until is not None:
        units = np.where(days <= np.datetime64(observed_until, "D"), units, np.nan)
    minimum = min(7, spec.level_days)
    level = as_series(pd.Series(units).groupby(group).rolling(spec.level_days, min_periods=minimum).mean()).to_numpy()
    price = daily[PRICE].astype(float).groupby(group).ffill().groupby(group).bfill().fillna(1.0).to_numpy()
    unheld = np.asarray(daily["_held"].isna())
    known = _calendar(calendar)
    holiday = _with_calendar(daily[HOLIDAY].to_numpy(dtype=object), days, unheld, known, HOLIDAY)
    event = _with_calendar(daily[EVENT].to_numpy(dtype=object), days, unheld, known, EVENT)
    promo = daily[PROMO].astype(float).fillna(0.0).to_numpy()
    regressors = {name: daily[name].astype(float).fillna(0.0).to_numpy() for name in spec.regressors}
    panels = []
    for position, (start, end) in enumerate(zip(ends - lengths, ends, strict=True)):
        key = bounds.index[position]
        ids = dict(zip(keys, map(str, key if isinstance(key, tuple) else (key,)), strict=True))
        cut = slice(int(start), int(end))
        panels.append(
            Panel(
                ids=ids,
                days=pd.DatetimeIndex(days[cut]),
                units=units[cut],
                level=np.maximum(np.nan_to_num(level[cut], nan=1.0), 1.0),
                price=price[cut],
                promo=promo[cut],
                holiday=holiday[cut],
                event=event[cut],
                regressors={name: values[cut] for name, values in regressors.items()},
            )
        )
    return panels


def _midnights(values: pd.Series) -> pd.Series:
    """Days as timezone-naive midnights."""
    day = pd.to_datetime(values)
    return (day.dt.tz_convert(None) if day.dt.tz is not None else day).dt.normalize()


def _calendar(calendar: pd.DataFrame | None) -> pd.DataFrame | None:
    """A calendar's holidays and events indexed by midnight (None stays None)."""
    if calendar is None:
        return None
    frame = calendar.assign(**{DAY: _midnights(as_series(calendar[DAY]))})
    return as_frame(frame.drop_duplicates(DAY, keep="last").set_index(DAY)[[HOLIDAY, EVENT]])


def _with_calendar(
    values: np.ndarray, days: np.ndarray, unheld: np.ndarray, known: pd.DataFrame | None, column: str
) -> np.ndarray:
    """A panel's holidays or events, the days its history does not hold taken from the calendar when given."""
    if known is None or not unheld.any():
        return values
    filled = values.copy()  # the frame's array may be read-only
    filled[unheld] = as_series(known[column]).reindex(days[unheld]).to_numpy(dtype=object)
    return filled


def vocabulary(frame: pd.DataFrame, spec: FeatureSpec) -> dict[str, list[str]]:
    """The category labels seen in training, per categorical feature (code = position + 1; 0 = none)."""
    return {column: sorted(frame[column].dropna().astype(str).unique().tolist()) for column in spec.categorical()}


def _codes(values: np.ndarray, labels: list[str]) -> np.ndarray:
    """Category codes: 0 for none, position + 1 for a known label, NaN for a label unseen in training."""
    lookup = {label: float(position + 1) for position, label in enumerate(labels)}
    return np.array([0.0 if value is None or value != value else lookup.get(str(value), np.nan) for value in values])


def take(values: np.ndarray, index: np.ndarray) -> np.ndarray:
    """values[index] with NaN where the index falls outside the array."""
    inside = (index >= 0) & (index < len(values))
    out = np.full(index.shape, np.nan)
    out[inside] = values[index[inside]]
    return out


def _trailing(values: np.ndarray, window: int, origins: np.ndarray) -> np.ndarray:
    """The `window` days ending at each origin (NaN before the first day), one row per origin."""
    padded = np.concatenate([np.full(window - 1, np.nan), values])
    return np.lib.stride_tricks.sliding_window_view(padded, window)[origins]


def _trailing_mean(values: np.ndarray, window: int, origins: np.ndarray) -> np.ndarray:
    """The mean of the known days of the `window` days ending at each origin (NaN when none is known)."""
    days = _trailing(values, window, origins)
    count = np.sum(~np.isnan(days), axis=1)
    return np.where(count > 0, np.nansum(days, axis=1) / np.maximum(count, 1), np.nan)


def _trailing_std(values: np.ndarray, window: int, origins: np.ndarray) -> np.ndarray:
    """The sample deviation of the known days of the `window` days ending at each origin (NaN under two known)."""
    days = _trailing(values, window, origins)
    count = np.sum(~np.isnan(days), axis=1)
    square = np.nansum((days - _trailing_mean(values, window, origins)[:, None]) ** 2, axis=1)
    return np.where(count > 1, np.sqrt(square / np.maximum(count - 1, 1)), np.nan)


def _nanmean(stack: list[np.ndarray]) -> np.ndarray:
    """Element-wise mean of arrays ignoring NaN (NaN where all are NaN)."""
    values = np.stack(stack)
    count = np.sum(~np.isnan(values), axis=0)
    return np.where(count > 0, np.nansum(values, axis=0) / np.maximum(count, 1), np.nan)


def _yearly(panel: Panel, origin: np.ndarray, target: np.ndarray, level: np.ndarray, horizon: int) -> list[np.ndarray]:
    """Last year's day, week and coming horizon, relative to last year's level, and the growth of the level."""
    units, last_level = panel.units, take(panel.level, origin - YEAR)
    ahead = _nanmean([take(units, origin - YEAR + h) for h in range(1, horizon + 1)])
    return [
        take(units, target - YEAR) / last_level,
        _nanmean([take(units, target - YEAR + d) for d in range(-3, 4)]) / last_level,
        ahead / last_level,
        level / last_level,
    ]


def feature_rows(
    panel: Panel, origins: np.ndarray, horizon: int, spec: FeatureSpec, labels: dict[str, list[str]]
) -> FeatureRows:
    """Rows for every origin in `origins` (panel positions, last known day) and every horizon day 1..horizon."""
    origin = origins[:, None]
    steps = np.arange(1, horizon + 1)[None, :]
    target = origin + steps
    shape = target.shape
    units, level = panel.units, panel.level[origin]
    columns: list[np.ndarray] = [
        np.full(shape, _codes(np.array([panel.ids[c]]), labels[c])[0]) for c in spec.id_columns
    ]
    columns.append(np.broadcast_to(np.log(level), shape))
    columns += [np.broadcast_to(take(units, origin - k) / level, shape) for k in range(spec.recent_lags)]
    columns += [np.broadcast_to(_trailing_mean(units, w, origins)[:, None] / level, shape) for w in spec.windows]
    columns.append(np.broadcast_to(_trailing_std(units, RECENT, origins)[:, None] / level, shape))
    columns.append(np.broadcast_to(_trailing_mean((units == 0).astype(float), RECENT, origins)[:, None], shape))
    days = panel.days
    calendar = {
        "weekday": days.day_of_week.to_numpy(float),
        "month": days.month.to_numpy(float),
        "day_of_year": days.day_of_year.to_numpy(float),
        "day_of_month": days.day.to_numpy(float),
    }
    columns.append(np.broadcast_to(steps.astype(float), shape))
    columns += [take(calendar[name], target) for name in CALENDAR[1:]]
    holiday, event = _codes(panel.holiday, labels[HOLIDAY]), _codes(panel.event, labels[EVENT])
    occasion = ((holiday != 0) | (event != 0)).astype(float)
    columns += [take(holiday, target), take(event, target), take(occasion, target - 1), take(occasion, target + 1)]
    columns.append(take(panel.promo, target))
    columns.append(take(panel.price, target) / np.maximum(_trailing_mean(panel.price, RECENT, origins)[:, None], 1e-9))
    columns += [take(panel.regressors[name], target) for name in spec.regressors]
    weeks_back = 7 * np.ceil(steps / 7).astype(int)
    columns.append(take(units, target - weeks_back) / level)
    columns.append(_nanmean([take(units, target - weeks_back - 7 * m) for m in range(SAME_WEEKDAY_WEEKS)]) / level)
    if spec.yearly:
        columns += _yearly(panel, origin, target, level, horizon)
    matrix = np.stack([np.broadcast_to(column, shape).reshape(-1) for column in columns], axis=1).astype(np.float32)
    return FeatureRows(
        matrix=matrix,
        level=np.broadcast_to(level, shape).reshape(-1),
        target=target.reshape(-1),
        origin=np.broadcast_to(origin, shape).reshape(-1),
        horizon=np.broadcast_to(steps, shape).reshape(-1),
    )
