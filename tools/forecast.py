"""Demand forecast: a global XGBoost model over many daily series with p10/p50/p90 per day, a seasonal-naive
baseline beside it, and the safety stock and reorder point that follow from the forecast error.

Multi-horizon strategy: direct, with one model for all horizons. Each training row is (series, origin day,
horizon h); its features use only what is known at the origin (recent lags, rolling means, last year) plus what
is known ahead for the target day (calendar, holidays and events, price, promo, regressors), and `h` itself is a
feature. Unlike a recursive model, no forecast is fed back as an input, so errors do not compound over the 28
days and one prediction call gives the whole horizon; unlike one model per horizon, the horizons share their
data and a single model is trained and versioned. Units are divided by the series' 28-day level at the
origin, so large and small series share one model and trends beyond the training range are carried by the
level instead of being clipped by the trees.

With `bag` > 1, several boosters (own seed and row sample each) are averaged.

Intervals are split-conformal over several windows: for each of the last `calibration_windows` windows of
`calibration_days`, a model trained only on what was known before the window forecasts it from every origin in it;
the empirical 10th and 90th percentiles of the pooled scaled residuals per horizon (and of their running sums, for
the total and the lead-time error) give p10/p90 around the point forecast. One window saw one stretch of weather,
promotions and trend, and its errors were too narrow for the next (on the M5 hold-out the 80% interval covered 48%
of store days); pooled windows judge the model over several such stretches. The residual table is stored with the
model, and every window is trained with the same seeds, so calibration is deterministic.
"""

import json
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path
from statistics import NormalDist
from typing import Self

import numpy as np
import pandas as pd
import xgboost as xgb
from pydantic import BaseModel, ConfigDict, Field, model_validator

from tools import registry
from tools.evidence import Driver, Evidence, Source
from tools.forecast_features import (
    FeatureRows,
    FeatureSpec,
    Panel,
    build_panels,
    feature_rows,
    normalise_history,
    take,
    vocabulary,
)
from twin.typed_pandas import as_frame, as_series, as_timestamp

MODEL_NAME = "xgb-demand"
BASELINE_NAME = "seasonal-naive"
BOOSTER_FILE = "booster_{}.ubj"
MODEL_FILE = "forecaster.json"
TOP_DRIVERS = 5


class ForecastConfig(BaseModel):
    """Columns, features and boosting settings of the demand forecaster."""

    id_columns: list[str] = Field(default_factory=lambda: ["sku", "location"], min_length=1)
    regressors: list[str] = Field(
        default_factory=list, description="Extra numeric columns known ahead (e.g. SNAP days)."
    )
    max_horizon: int = Field(default=28, ge=1, le=91)
    recent_lags: int = Field(default=7, ge=1)
    windows: list[int] = Field(default_factory=lambda: [7, 14, 28, 56, 112])
    level_days: int = Field(
        default=28, ge=1, description="Units are scaled by their mean over this many days before the origin."
    )
    yearly: bool = Field(default=True, description="Last-year features (same day, week, coming horizon, level growth).")
    min_history_days: int = Field(default=28, ge=7, description="Origins need at least this many days of history.")
    train_days: int | None = Field(
        default=None, ge=1, description="Only the most recent origins; None uses all history."
    )
    calibration_days: int = Field(
        default=56, description="Length of each held-out window whose residuals set the intervals."
    )
    calibration_windows: int = Field(
        default=4,
        ge=1,
        description="Consecutive held-out windows before the end of the history whose residuals are pooled.",
    )
    max_rows: int = Field(default=150_000, ge=1000, description="Training rows are subsampled (seeded) above this.")
    trees: int = Field(default=300, ge=1)
    bag: int = Field(default=1, ge=1, description="Boosters averaged, each with its own seed and row sample.")
    learning_rate: float = Field(default=0.08, gt=0, le=1)
    max_depth: int = Field(default=6, ge=1)
    min_child_weight: float = Field(default=10.0, ge=0)
    subsample: float = Field(default=0.8, gt=0, le=1)
    colsample_bytree: float = Field(default=0.5, gt=0, le=1)
    seed: int = 7
    threads: int = Field(default=2, ge=1)

    @model_validator(mode="after")
    def _calibration_covers_horizon(self) -> Self:
        """The calibration window must hold at least a week of origins for the longest horizon."""
        if self.calibration_days < self.max_horizon + 7:
            raise ValueError("calibration_days must be at least max_horizon + 7")
        return self

    def spec(self) -> FeatureSpec:
        """The feature layout these settings describe."""
        return FeatureSpec(
            tuple(self.id_columns),
            tuple(self.regressors),
            self.recent_lags,
            tuple(self.windows),
            self.level_days,
            self.yearly,
        )


class ResidualTable(BaseModel):
    """Out-of-sample forecast errors per horizon day, in the forecast's scale units (level or plain units)."""

    q10: list[float]
    q90: list[float]
    cumulative_q10: list[float]
    cumulative_q90: list[float]
    cumulative_rms: list[float]

    @classmethod
    def from_errors(cls, errors: np.ndarray) -> "ResidualTable":
        """Quantiles of an (origins x horizon) error matrix, NaN where the truth was not yet known."""
        cumulative = np.cumsum(errors, axis=1)
        quantile = lambda values, q: np.nanpercentile(values, q, axis=0).round(6).tolist()  # noqa: E731
        return cls(
            q10=quantile(errors, 10),
            q90=quantile(errors, 90),
            cumulative_q10=quantile(cumulative, 10),
            cumulative_q90=quantile(cumulative, 90),
            cumulative_rms=np.sqrt(np.nanmean(cumulative**2, axis=0)).round(6).tolist(),
        )


class ForecastModel(BaseModel):
    """A trained demand forecaster: boosters, feature layout, category labels and calibration residuals."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    config: ForecastConfig
    features: list[str]
    labels: dict[str, list[str]]
    residuals: ResidualTable
    metrics: dict[str, float]
    data_hash: str
    version: str | None = None
    boosters: list[xgb.Booster] = Field(exclude=True, repr=False)

    def save(self, folder: Path) -> None:
        """Write the boosters and the forecaster's settings into a folder (usable as a registry artifact)."""
        folder.mkdir(parents=True, exist_ok=True)
        for position, booster in enumerate(self.boosters):
            booster.save_model(folder / BOOSTER_FILE.format(position))
        (folder / MODEL_FILE).write_text(self.model_dump_json(indent=1, exclude={"version"}))

    @classmethod
    def load(cls, folder: Path) -> "ForecastModel":
        """Read a saved forecaster; the version comes from the registry metadata beside it, if any."""
        fields = json.loads((folder / MODEL_FILE).read_text())
        boosters = [
            xgb.Booster(model_file=str(folder / BOOSTER_FILE.format(k)), params={"nthread": 1})
            for k in range(fields["config"]["bag"])
        ]  # a loaded model serves small requests: one thread each, the processes share the cores
        meta_path = folder / registry.META_FILE
        version = registry.ModelMeta.model_validate_json(meta_path.read_text()).version if meta_path.exists() else None
        return cls.model_validate({**fields, "boosters": boosters, "version": version})

    def predict(self, dmatrix: xgb.DMatrix, *, contributions: bool = False) -> np.ndarray:
        """Level-scaled predictions (or SHAP contributions) averaged over the boosters."""
        return _average(self.boosters, dmatrix, contributions=contributions)


class ForecastDay(BaseModel):
    """One forecast day with its 80% interval."""

    day: date
    p10: float
    p50: float
    p90: float


class Forecast(BaseModel):
    """Per-day and total demand over a horizon, the lead-time error, and the evidence behind them."""

    series: dict[str, str]
    as_of: date
    horizon_days: int
    days: list[ForecastDay]
    total: ForecastDay = Field(description="Sum over the horizon; `day` is the last day.")
    lead_time_error: list[float] = Field(
        description="RMS error of the demand summed over the first k days, k = 1..horizon."
    )
    evidence: Evidence


class ForecastRequest(BaseModel):
    """Which series to forecast, from which last known day, how far."""

    series: dict[str, str]
    horizon_days: int = Field(ge=1)
    as_of: date


class StockPolicy(BaseModel):
    """Replenishment lead time and the cycle service level to protect."""

    lead_time_days: int = Field(ge=1)
    service_level: float = Field(gt=0.5, lt=1.0)


class SafetyStock(BaseModel):
    """Safety stock = z(service level) x RMS forecast error of demand over the lead time."""

    series: dict[str, str]
    lead_time_days: int
    service_level: float
    z: float
    lead_time_error: float
    units: float
    evidence: Evidence


class ReorderPoint(BaseModel):
    """Reorder point = forecast demand over the lead time + safety stock."""

    series: dict[str, str]
    lead_time_days: int
    service_level: float
    lead_time_demand: float
    safety_stock: float
    units: float
    evidence: Evidence


def _average(boosters: list[xgb.Booster], dmatrix: xgb.DMatrix, *, contributions: bool = False) -> np.ndarray:
    """Mean prediction (or mean SHAP contributions, which stay additive) of several boosters."""
    return np.mean([booster.predict(dmatrix, pred_contribs=contributions) for booster in boosters], axis=0)


def _params(config: ForecastConfig) -> dict[str, str | float | int]:
    """XGBoost training parameters."""
    return {
        "objective": "reg:squarederror",
        "tree_method": "hist",
        "eta": config.learning_rate,
        "max_depth": config.max_depth,
        "min_child_weight": config.min_child_weight,
        "subsample": config.subsample,
        "colsample_bytree": config.colsample_bytree,
        "nthread": config.threads,
    }


def _matrix(spec: FeatureSpec, matrix: np.ndarray, label: np.ndarray | None = None) -> xgb.DMatrix:
    """An XGBoost matrix with category codes marked as categorical."""
    names = spec.names()
    categorical = set(spec.categorical())
    types = ["c" if name in categorical else "q" for name in names]
    return xgb.DMatrix(
        matrix, label=label, feature_names=names, feature_types=types, enable_categorical=True, nthread=1
    )


@dataclass(frozen=True)
class _Layout:
    """Settings, feature layout and category labels shared by training and calibration."""

    config: ForecastConfig
    spec: FeatureSpec
    labels: dict[str, list[str]]


def _origins(panel: Panel, end: pd.Timestamp, config: ForecastConfig) -> tuple[np.ndarray, int]:
    """Training origins of a panel whose targets fall on or before `end`, and the position of `end`."""
    last = min(int((end - panel.first_day).days), len(panel.days) - 1)
    first = config.min_history_days - 1
    if config.train_days is not None:
        first = max(first, last - config.train_days)
    return np.arange(first, last), last


def _training_set(panels: list[Panel], end: pd.Timestamp, layout: _Layout) -> tuple[np.ndarray, np.ndarray]:
    """Features and scaled labels of (origin, horizon) pairs known by `end`, at most (bag + 1) x max_rows of them."""
    config = layout.config
    plans = [(panel, *_origins(panel, end, config)) for panel in panels]
    share = min(1.0, (config.bag + 1) * config.max_rows / max(1, config.max_horizon * sum(len(o) for _, o, _ in plans)))
    rng = np.random.default_rng(config.seed)
    matrices, labels = [], []
    for panel, origins, last in plans:
        if share < 1.0:
            origins = np.sort(rng.choice(origins, int(np.ceil(len(origins) * share)), replace=False))
        if len(origins) == 0:
            continue
        rows = feature_rows(panel, origins, layout.config.max_horizon, layout.spec, layout.labels)
        label = take(panel.units, rows.target) / rows.level
        keep = (rows.target <= last) & ~np.isnan(label)
        matrices.append(rows.matrix[keep])
        labels.append(label[keep])
    if not matrices:
        raise ValueError("history is too short to train: each series needs more than min_history_days of units")
    return np.concatenate(matrices), np.concatenate(labels)


def _fit(panels: list[Panel], end: pd.Timestamp, layout: _Layout) -> list[xgb.Booster]:
    """Train `bag` boosters on targets known by `end`, each on its own seeded sample of at most `max_rows` rows."""
    matrix, label = _training_set(panels, end, layout)
    config, boosters = layout.config, []
    for seed in range(config.seed, config.seed + config.bag):
        rows = np.arange(len(label))
        if len(label) > config.max_rows:
            rows = np.sort(np.random.default_rng(seed).choice(len(label), config.max_rows, replace=False))
        params = {**_params(config), "seed": seed}
        boosters.append(
            xgb.train(params, _matrix(layout.spec, matrix[rows], label[rows]), num_boost_round=config.trees)
        )
    return boosters


def _window_errors(panels: list[Panel], end: pd.Timestamp, layout: _Layout) -> tuple[np.ndarray, float, float]:
    """Scaled residuals (origins x horizon) over the `calibration_days` before `end` of boosters trained on the
    targets known at the window's start, with the window's absolute error and units (both in units)."""
    start = as_timestamp(end - pd.Timedelta(days=layout.config.calibration_days))
    boosters = _fit(panels, start, layout)
    horizon = layout.config.max_horizon
    errors, abs_units, units = [], 0.0, 0.0
    for panel in panels:
        last = min(int((end - panel.first_day).days), len(panel.days) - 1)
        origins = np.arange(max(int((start - panel.first_day).days), layout.config.min_history_days - 1), last)
        if len(origins) == 0:
            continue
        rows = feature_rows(panel, origins, horizon, layout.spec, layout.labels)
        truth = np.where(rows.target <= last, take(panel.units, rows.target), np.nan)
        residual = truth / rows.level - _average(boosters, _matrix(layout.spec, rows.matrix))
        errors.append(residual.reshape(len(origins), horizon))
        abs_units += float(np.nansum(np.abs(residual) * rows.level))
        units += float(np.nansum(truth))
    if not errors:
        raise ValueError("no series has history in the calibration window")
    return np.concatenate(errors), abs_units, units


def _window_ends(panels: list[Panel], end: pd.Timestamp, config: ForecastConfig) -> list[pd.Timestamp]:
    """The last days of the calibration windows, latest first: `calibration_windows` consecutive windows before
    `end`, less the earliest ones whose models would have under `min_history_days + max_horizon` days to learn."""
    first = min(panel.first_day for panel in panels)
    needed = pd.Timedelta(days=config.min_history_days + config.max_horizon + config.calibration_days)
    ends = [
        as_timestamp(end - pd.Timedelta(days=k * config.calibration_days)) for k in range(config.calibration_windows)
    ]
    return [window_end for window_end in ends if window_end - first >= needed] or ends[:1]


def _calibration_errors(panels: list[Panel], end: pd.Timestamp, layout: _Layout) -> tuple[np.ndarray, dict[str, float]]:
    """Scaled residuals (origins x horizon) pooled over the calibration windows, each forecast by boosters trained
    before it, and their scores: a forecast's error is judged over several stretches of history, not one."""
    windows = [_window_errors(panels, window_end, layout) for window_end in _window_ends(panels, end, layout.config)]
    matrix = np.concatenate([errors for errors, _, _ in windows])
    abs_units, units = sum(window[1] for window in windows), sum(window[2] for window in windows)
    return matrix, {
        "calibration_wape": round(abs_units / max(units, 1e-9), 6),
        "calibration_origins": float(len(matrix)),
        "calibration_windows": float(len(windows)),
    }


def train_forecaster(history: pd.DataFrame, *, config: ForecastConfig) -> ForecastModel:
    """Train the global model on all history and calibrate its intervals on a held-out last window."""
    spec = config.spec()
    frame = normalise_history(history, spec)
    layout = _Layout(config=config, spec=spec, labels=vocabulary(frame, spec))
    panels = build_panels(frame, spec)
    end = as_timestamp(as_series(frame["day"]).max())
    errors, metrics = _calibration_errors(panels, end, layout)
    return ForecastModel(
        config=config,
        features=spec.names(),
        labels=layout.labels,
        residuals=ResidualTable.from_errors(errors),
        metrics=metrics,
        data_hash=registry.frame_hash(history.reset_index(drop=True)),
        boosters=_fit(panels, end, layout),
    )


def register(model: ForecastModel, models_dir: Path) -> ForecastModel:
    """Save a trained forecaster in the model registry; returns it with its registry version."""
    meta = registry.save(
        models_dir,
        MODEL_NAME,
        model.save,
        data_hash=model.data_hash,
        features=model.features,
        metrics=model.metrics,
        params=model.config.model_dump(),
    )
    return model.model_copy(update={"version": meta.version})


def load_registered(models_dir: Path, version: str | None = None) -> ForecastModel:
    """The latest (or a named) registered forecaster."""
    _, folder = registry.resolve(models_dir, MODEL_NAME, version)
    return ForecastModel.load(folder)


def _request(series: dict[str, str] | str, id_columns: list[str], horizon_days: int, as_of: date) -> ForecastRequest:
    """A validated request; a series given as text is its key, e.g. `SKU-0001/DC-DAL`."""
    ids = series if isinstance(series, dict) else dict(zip(id_columns, series.split("/"), strict=True))
    if sorted(ids) != sorted(id_columns):
        raise ValueError(f"series must name {id_columns}, got {sorted(ids)}")
    return ForecastRequest(series={k: str(v) for k, v in ids.items()}, horizon_days=horizon_days, as_of=as_of)


def _panel(history: pd.DataFrame, request: ForecastRequest, spec: FeatureSpec) -> Panel:
    """The requested series' panel, with units hidden after `as_of` and the calendar extended over the horizon."""
    return _panels(history, [request], spec)[0]


def _panels(
    history: pd.DataFrame, requests: list[ForecastRequest], spec: FeatureSpec, calendar: pd.DataFrame | None = None
) -> list[Panel]:
    """The panels of requests sharing one `as_of` and horizon, in request order, from one pass over the history; days
    past the history take their holidays and events from `calendar` when given."""
    wanted = [tuple(request.series[column] for column in spec.id_columns) for request in requests]
    ids = pd.MultiIndex.from_frame(as_frame(history[list(spec.id_columns)]).astype(str))
    chosen = ids.isin(wanted)
    present = set(ids.unique())
    for request, key in zip(requests, wanted, strict=True):
        if key not in present:
            raise ValueError(f"no history for series {request.series}")
    frame = normalise_history(as_frame(history[chosen]), spec)
    first = requests[0]
    until = first.as_of + timedelta(days=first.horizon_days)
    panels = build_panels(frame, spec, observed_until=first.as_of, until=until, calendar=calendar)
    by_series = {tuple(panel.ids.values()): panel for panel in panels}
    return [by_series[key] for key in wanted]


def _assemble(
    request: ForecastRequest, panel: Panel, point: np.ndarray, scale: float, table: ResidualTable, evidence: Evidence
) -> Forecast:
    """A Forecast from point values and a residual table in `scale` units; facts are added to the evidence."""
    horizon = request.horizon_days
    point = np.maximum(point, 0.0)
    low = np.minimum(point, np.maximum(point + np.array(table.q10[:horizon]) * scale, 0.0))
    high = np.maximum(point, point + np.array(table.q90[:horizon]) * scale)
    days = [request.as_of + timedelta(days=h) for h in range(1, horizon + 1)]
    total_point = float(point.sum())
    total = ForecastDay(
        day=days[-1],
        p10=max(min(total_point, total_point + table.cumulative_q10[horizon - 1] * scale), 0.0),
        p50=total_point,
        p90=max(total_point, total_point + table.cumulative_q90[horizon - 1] * scale),
    )
    evidence.facts.update(
        total_units=round(total.p50, 1),
        interval_p10_p90=[round(total.p10, 1), round(total.p90, 1)],
        first_day=days[0].isoformat(),
        last_day=days[-1].isoformat(),
        recent_daily_mean=round(float(panel.level[panel.index_of(request.as_of)]), 2),
    )
    return Forecast(
        series=request.series,
        as_of=request.as_of,
        horizon_days=horizon,
        days=[ForecastDay(day=d, p10=lo, p50=p, p90=hi) for d, lo, p, hi in zip(days, low, point, high, strict=True)],
        total=total,
        lead_time_error=(np.array(table.cumulative_rms[:horizon]) * scale).tolist(),
        evidence=evidence,
    )


def _evidence(tool: str, model: str, version: str, request: ForecastRequest, **inputs: object) -> Evidence:
    """Evidence for a forecast of one series."""
    return Evidence(
        id=f"{tool}:{'/'.join(request.series.values())}:{request.as_of.isoformat()}",
        source=Source(tool=tool, model=model, version=version),
        inputs={
            "series": request.series,
            "as_of": request.as_of.isoformat(),
            "horizon_days": request.horizon_days,
            **inputs,
        },
    )


def _span(column: np.ndarray) -> float | str | None:
    """A feature's value over the horizon: the value itself when constant, else its range."""
    known = column[~np.isnan(column)]
    if len(known) == 0:
        return None
    low, high = float(known.min()), float(known.max())
    return round(low, 4) if low == high else f"{low:.4g}..{high:.4g}"


def _drivers(model: ForecastModel, rows: FeatureRows, shap: np.ndarray) -> list[Driver]:
    """Top features by their SHAP contribution (units per day, averaged over the horizon) to the forecast, from the
    rows' SHAP values (bias last)."""
    contributions = (shap[:, :-1] * rows.level[:, None]).mean(axis=0)
    spec = model.config.spec()
    drivers = []
    for position in np.argsort(-np.abs(contributions), kind="stable")[:TOP_DRIVERS]:
        name = model.features[position]
        column = rows.matrix[:, position]
        if name in spec.categorical():
            names = {model.labels[name][int(code) - 1] for code in column if code == code and code > 0}
            value: float | str | None = ", ".join(sorted(names)) or None
        else:
            value = _span(column)
        drivers.append(Driver(feature=name, value=value, contribution=round(float(contributions[position]), 3)))
    return drivers


def _first_days(rows: FeatureRows, days: int) -> FeatureRows:
    """The rows of the first `days` horizon days of a single-origin feature matrix."""
    return replace(
        rows,
        matrix=rows.matrix[:days],
        level=rows.level[:days],
        target=rows.target[:days],
        origin=rows.origin[:days],
        horizon=rows.horizon[:days],
    )


def forecast(
    model: ForecastModel,
    history: pd.DataFrame,
    series: dict[str, str] | str,
    horizon_days: int,
    as_of: date,
    calendar: pd.DataFrame | None = None,
) -> Forecast:
    """Forecast one series for the days after `as_of`; history rows after `as_of` only supply known-ahead covariates,
    and so does `calendar` (day, holiday, event) for the days the history does not hold.

    Features are always built over the model's whole horizon, as in training, and the first `horizon_days` are kept:
    a day's forecast is the same whatever horizon is asked."""
    return forecasts(model, history, [series], horizon_days, as_of, calendar=calendar)[0]


def forecasts(
    model: ForecastModel,
    history: pd.DataFrame,
    series: list[dict[str, str] | str],
    horizon_days: int,
    as_of: date,
    explain: list[dict[str, str]] | None = None,
    calendar: pd.DataFrame | None = None,
) -> list[Forecast]:
    """Forecast several series from the same `as_of` with one model call, each exactly as `forecast` would; drivers
    (one more model call) for the series in `explain`, or for all of them when it is None; `calendar` gives the
    holidays and events of days past the history."""
    requests = [_request(one, model.config.id_columns, horizon_days, as_of) for one in series]
    if horizon_days > model.config.max_horizon:
        raise ValueError(f"horizon_days {horizon_days} exceeds the model's max_horizon {model.config.max_horizon}")
    spec = model.config.spec()
    full = [request.model_copy(update={"horizon_days": model.config.max_horizon}) for request in requests]
    panels = _panels(history, full, spec, calendar)
    origins = [panel.index_of(as_of) for panel in panels]
    rows = [
        _first_days(feature_rows(panel, np.array([origin]), model.config.max_horizon, spec, model.labels), horizon_days)
        for panel, origin in zip(panels, origins, strict=True)
    ]
    points = model.predict(_matrix(spec, np.concatenate([one.matrix for one in rows]))).reshape(len(rows), -1)
    explained = [k for k, request in enumerate(requests) if explain is None or request.series in explain]
    drivers = _batch_drivers(model, [rows[k] for k in explained])
    version = model.version or f"unregistered-{model.data_hash[:8]}"
    results = []
    for k, (request, panel, origin, one) in enumerate(zip(requests, panels, origins, rows, strict=True)):
        evidence = _evidence("forecast", MODEL_NAME, version, request, history_days=int(origin + 1))
        evidence.drivers = drivers[explained.index(k)] if k in explained else []
        level = float(one.level[0])
        results.append(_assemble(request, panel, points[k] * level, level, model.residuals, evidence))
    return results


def _batch_drivers(model: ForecastModel, rows: list[FeatureRows]) -> list[list[Driver]]:
    """The drivers of several series' feature rows from one SHAP call."""
    if not rows:
        return []
    spec = model.config.spec()
    dmatrix = _matrix(spec, np.concatenate([one.matrix for one in rows]))
    contributions = model.predict(dmatrix, contributions=True)
    bounds = np.cumsum([0, *(len(one.level) for one in rows)])
    return [
        _drivers(model, one, contributions[start:end])
        for one, start, end in zip(rows, bounds[:-1], bounds[1:], strict=True)
    ]


def seasonal_naive(
    history: pd.DataFrame,
    series: dict[str, str] | str,
    horizon_days: int,
    as_of: date,
    *,
    id_columns: list[str] | None = None,
    period: int = 7,
    error_days: int = 364,
) -> Forecast:
    """Repeat the last `period` days; intervals from the same rule's errors over the previous `error_days`."""
    id_columns = id_columns or ["sku", "location"]
    request = _request(series, id_columns, horizon_days, as_of)
    panel = _panel(history, request, FeatureSpec(tuple(id_columns), (), 1, ()))
    origin = panel.index_of(as_of)
    if origin + 1 < period:
        raise ValueError(f"seasonal naive needs at least {period} days of history before {as_of}")
    steps = np.arange(1, horizon_days + 1)[None, :]
    back = period * np.ceil(steps / period).astype(int)
    point = panel.units[origin + steps - back][0]
    past = np.arange(max(origin - error_days, period - 1), origin - horizon_days + 1)[:, None]
    if len(past) < 2:
        raise ValueError(f"seasonal naive needs more than {period + horizon_days} days of history for its intervals")
    errors = take(panel.units, past + steps) - take(panel.units, past + steps - back)
    evidence = _evidence("forecast", BASELINE_NAME, f"{period}d", request, period=period, error_days=error_days)
    return _assemble(request, panel, np.nan_to_num(point), 1.0, ResidualTable.from_errors(errors), evidence)


def safety_stock(forecast: Forecast, policy: StockPolicy) -> SafetyStock:
    """Safety stock covering the forecast error over the lead time at the requested service level."""
    if policy.lead_time_days > forecast.horizon_days:
        raise ValueError(f"lead time {policy.lead_time_days} d exceeds the forecast horizon {forecast.horizon_days} d")
    z = NormalDist().inv_cdf(policy.service_level)
    sigma = forecast.lead_time_error[policy.lead_time_days - 1]
    units = z * sigma
    source = forecast.evidence.source
    evidence = Evidence(
        id=f"safety_stock:{'/'.join(forecast.series.values())}:{forecast.as_of.isoformat()}",
        source=Source(tool="safety_stock", model=source.model, version=source.version),
        inputs={**policy.model_dump(), "forecast_evidence_id": forecast.evidence.id},
        facts={"z": round(z, 4), "lead_time_error": round(sigma, 2), "safety_stock_units": round(units, 1)},
    )
    return SafetyStock(
        series=forecast.series,
        lead_time_days=policy.lead_time_days,
        service_level=policy.service_level,
        z=z,
        lead_time_error=sigma,
        units=units,
        evidence=evidence,
    )


def expected_shortfall(forecast: Forecast, days: int, supply: float) -> float:
    """Expected units of the demand over the first `days` that `supply` cannot serve: the normal loss function around
    the forecast's sum, spread by its error over those days (a shortfall is a chance, never a certainty)."""
    if days <= 0:
        return 0.0
    days = min(days, forecast.horizon_days)
    mean = float(sum(day.p50 for day in forecast.days[:days]))
    sigma = max(forecast.lead_time_error[days - 1], 1e-6)
    z = (supply - mean) / sigma
    unit = NormalDist()
    return max(0.0, sigma * unit.pdf(z) + (mean - supply) * (1 - unit.cdf(z)))


def expected_lost(forecast: Forecast, window: int, stock: float, arrivals: list[tuple[int, float]]) -> float:
    """Expected units lost over the first `window` days when `arrivals` (day, units) land on top of `stock`: until
    each arrival only the stock and the earlier arrivals serve the demand."""

    def landed(day: int) -> float:
        """Units of the arrivals that land before `day`, in time to serve its demand and the demand after it."""
        return sum(units for when, units in arrivals if when < day)

    before = [expected_shortfall(forecast, day, stock + landed(day)) for day, _ in arrivals if day < window]
    return max([expected_shortfall(forecast, window, stock + landed(window)), *before])


def reorder_point(forecast: Forecast, policy: StockPolicy) -> ReorderPoint:
    """Reorder point: forecast demand over the lead time plus the safety stock."""
    safety = safety_stock(forecast, policy)
    demand = float(sum(day.p50 for day in forecast.days[: policy.lead_time_days]))
    evidence = safety.evidence.model_copy(deep=True)
    evidence.id = evidence.id.replace("safety_stock:", "reorder_point:", 1)
    evidence.source.tool = "reorder_point"
    evidence.facts.update(lead_time_demand_units=round(demand, 1), reorder_point_units=round(demand + safety.units, 1))
    return ReorderPoint(
        series=forecast.series,
        lead_time_days=policy.lead_time_days,
        service_level=policy.service_level,
        lead_time_demand=demand,
        safety_stock=safety.units,
        units=demand + safety.units,
        evidence=evidence,
    )
