"""M5 store-level benchmark of the demand forecaster: RMSSE per level (L1 total, L2 states, L3 stores, weighted
with the official dollar weights) against a 7-day seasonal naive, training only on d_1..d_cutoff.

The 10 stores are forecast by one global model; states and the total are their sums (coherent by construction).
`M5_CONFIG` was chosen by backtests on cutoffs d_1913 and d_1885 only (never the d_1942..d_1969 window), by the
mean of their L3 RMSSE (mean L3 / cutoff d_1913 / cutoff d_1885):
    300 trees, eta 0.08, depth 6, 150k rows, colsample 0.8 .............. 0.469 / 0.516 / 0.421
    same with 400 trees, eta 0.05, all 532k rows ........................ 0.471 / 0.508 / 0.434
    same, origins from the last 1100 days only .......................... 0.485 / 0.544 / 0.425
    + last-year-ahead and year-growth features (kept) ................... 0.462 / 0.509 / 0.415
    depth 8 / depth 4 ................................................... 0.467 / 0.470
    colsample 0.5 (kept) / 0.3 .......................................... 0.455 / 0.459
    colsample 0.5 with seed 8 (seed noise is about 0.01) ................ 0.467 / 0.515 / 0.419
    3 bagged boosters, 150k rows each / 100k rows each (kept, faster) ... 0.460 / 0.462
    level over 14 days instead of 28 .................................... 0.460
A wider backtest run after the first evaluation (7 cutoffs: d_1213, d_1577, d_1605, d_1829, d_1857, d_1885,
d_1913) confirmed the last-year features (mean L3 0.524, versus 0.527 without them) and changed no setting; its
worst windows hold one-off breaks (CA_2's 2015 level jump, a one-day outage of the Texas stores on 2015-06-15).
Further variants scored on the same 7 cutoffs (mean L3; 0.524 for the chosen settings) changed nothing, as each
is within the seed noise: trees fitting the residual from the 4-week same-weekday mean (base margin) 0.525;
states and total as extra training series 0.523; origins weighted by a 730-day recency half-life 0.519;
a 90/10 blend with the 4-week same-weekday mean 0.519.
Chosen settings at the backtests (seasonal naive in brackets):
    d_1913: L1 0.413 (0.751)  L2 0.452 (0.753)  L3 0.509 (0.798); p10-p90 covers 79% of store days
    d_1885: L1 0.247 (0.668)  L2 0.329 (0.722)  L3 0.416 (0.821); p10-p90 covers 76% of store days
On the evaluation window d_1942..d_1969 (cutoff d_1941), about 35 s on 2 cores: L1 0.458 (0.560), L2 0.517
(0.673), L3 0.555 (0.718); p10-p90 covers 63.6% of store days with the errors of four back-test windows pooled
(48% with one window). The stores forecast 4.5% too high (`bias`; every store but TX_1): sales stayed flat after
2016-05-22 where the three previous years rose 4-7% over the same weeks.
Diagnosed on held-out windows before d_1941 only (the four calibration windows of the d_1941 model, origins
d_1717..d_1940, each forecast by a model trained before it): the model under-forecast every one of them (by 0.1%,
1.9%, 1.7% and 3.3%, oldest first; by 5.4% from origin d_1913 with the model of d_1885, over by 1.1% from d_1885),
so the pooled residuals sit above the point (p10 -7.5%, p90 +10% to +13% of the level) and the intervals cover 79%
from origin d_1885, 82% from d_1913 and 79% of 116 held-out 28-day paths (each window scored by the other three;
paths 72% to 86% between their 10th and 90th percentiles, lowest 66%). A third of the error variance is common to
all stores (error sd 7.5-10% of the level, sd of the store mean 4.5-6%): one 28-day window of ten stores is nearly
one draw. The total's 28-day growth against its three-year seasonal growth has sd 3.3% over 31 windows since
d_1101 and a lag-one autocorrelation of -0.34: +6.1% at d_1913, -1.5% at d_1885, -5.6% at d_1941. The target is
units over the 28-day level under a squared error (a mean, no log transform) and the level carries the trend, so no
transform biases the median; the conformal intervals carry the held-out windows' bias, which reversed in the
evaluation window. A per-store level correction learned on the held-out windows (each window's mean error, summed
and divided by the windows plus one) was chosen on them (mean L3 0.465 against 0.471, coverage 81-84%) and moved the
evaluation window's forecast further up: bias +6.0%, L3 0.611, coverage 63.6% unchanged; it was not kept.
The published summary's L2 for the seasonal naive (0.697) is the unweighted mean of the three states; with the
official state weights used here it is 0.673. L1 (0.560) and L3 (0.718) match.
"""

import sys
import time
from collections.abc import Callable

import numpy as np
import pandas as pd
import typer
from pydantic import BaseModel, Field

from bench.data import report, shared_data
from tools.forecast import ForecastConfig, forecast, seasonal_naive, train_forecaster
from twin.typed_pandas import as_frame, as_series, as_timestamp

HORIZON = 28
LAST_DAY = 1969
STORE_WEIGHTS = {
    "CA_1": 0.1113, "CA_2": 0.1125, "CA_3": 0.1514, "CA_4": 0.0663, "TX_1": 0.0790,
    "TX_2": 0.0961, "TX_3": 0.1009, "WI_1": 0.0867, "WI_2": 0.1131, "WI_3": 0.0829,
}  # fmt: skip
STATE_WEIGHTS = {"CA": 0.4414, "TX": 0.2760, "WI": 0.2827}
LEVELS = {"L1": {"TOTAL": 1.0}, "L2": STATE_WEIGHTS, "L3": STORE_WEIGHTS}
M5_CONFIG = ForecastConfig(id_columns=["store"], regressors=["snap"], max_rows=100_000, bag=3)

app = typer.Typer(add_completion=False)


class LevelScores(BaseModel):
    """Weighted mean RMSSE per aggregation level."""

    L1: float
    L2: float
    L3: float


class SeriesScore(BaseModel):
    """RMSSE of one series for the model and the seasonal naive."""

    level: str
    weight: float
    rmsse: float
    baseline_seasonal_naive: float
    bias: float = Field(description="The 28 days' forecast over their actual units, less one.")


class BenchResult(BaseModel):
    """The benchmark's result, printed as JSON."""

    cutoff: int
    horizon: int = HORIZON
    rmsse: LevelScores
    baseline_seasonal_naive: LevelScores
    per_series: dict[str, SeriesScore]
    interval_coverage_p10_p90: float
    bias: float = Field(description="The stores' forecast over their actual units, less one.")
    seconds: float


def _progress(message: str) -> None:
    """Progress on stderr."""
    print(f"[bench forecast] {message}", file=sys.stderr, flush=True)


def load_m5() -> tuple[pd.DataFrame, pd.DataFrame]:
    """The 14 daily series (wide, one column per series) and the calendar, indexed by day number."""
    sales = pd.read_csv(shared_data("demand", "m5_store_state_total_daily_d1_d1969.csv"))
    calendar = pd.read_csv(shared_data("demand", "m5_calendar_normalized.csv"))
    for frame in (sales, calendar):
        frame.index = frame["d"].str.removeprefix("d_").astype(int)
    return sales, calendar


def store_history(sales: pd.DataFrame, calendar: pd.DataFrame, cutoff: int) -> pd.DataFrame:
    """Long store history to cutoff + 28 (units hidden after the cutoff): National events, other events, SNAP."""
    days = calendar.loc[: cutoff + HORIZON]
    national = days["event_type_1"].eq("National")
    holiday = days["event_name_1"].where(national)
    event = days["event_name_2"].fillna(days["event_name_1"].where(~national))
    frames = [
        pd.DataFrame(
            {
                "store": store,
                "day": pd.to_datetime(days["date"]),
                "units": sales[store].where(sales.index <= cutoff).reindex(days.index),
                "holiday": holiday,
                "event": event,
                "snap": days[f"snap_{store[:2]}"],
            }
        )
        for store in STORE_WEIGHTS
    ]
    return pd.concat(frames, ignore_index=True)


def computed_scales(sales: pd.DataFrame, cutoff: int) -> pd.Series:
    """M5 scale per series: root mean square of daily differences from the first sale up to the cutoff."""
    series = sales.drop(columns=["date", "d"]).loc[:cutoff]
    return series.apply(lambda y: float(np.sqrt(np.mean(np.diff(y[y.cumsum() > 0].to_numpy(float)) ** 2))))


def rmsse_scales(sales: pd.DataFrame, cutoff: int) -> pd.Series:
    """The official scales (`m5_rmsse_scales.csv`) at the official cutoff, else the same rule up to the cutoff."""
    if cutoff == LAST_DAY - HORIZON:
        return pd.read_csv(shared_data("demand", "m5_rmsse_scales.csv")).set_index("series").iloc[:, 0]
    return computed_scales(sales, cutoff)


def _with_aggregates(stores: pd.DataFrame) -> pd.DataFrame:
    """Store columns plus their state and total sums (coherent by construction)."""
    states = {state: stores[[s for s in stores if s.startswith(state)]].sum(axis=1) for state in STATE_WEIGHTS}
    return stores.assign(**states, TOTAL=stores.sum(axis=1))


def _scores(predicted: pd.DataFrame, actual: pd.DataFrame, scales: pd.Series) -> dict[str, float]:
    """RMSSE per series."""
    rmsse = as_series(np.sqrt(((predicted - actual) ** 2).mean()) / scales[predicted.columns])
    return {str(series): float(value) for series, value in rmsse.items()}


def _levels(rmsse: dict[str, float]) -> LevelScores:
    """Weighted mean RMSSE within each level."""
    return LevelScores(
        **{
            level: sum(rmsse[s] * w for s, w in weights.items()) / sum(weights.values())
            for level, weights in LEVELS.items()
        }
    )


def run(
    cutoff: int = LAST_DAY - HORIZON, config: ForecastConfig = M5_CONFIG, progress: Callable[[str], None] = _progress
) -> BenchResult:
    """Train on d_1..d_cutoff, forecast the next 28 days for every store, and score all three levels."""
    if not 400 <= cutoff <= LAST_DAY - HORIZON:
        raise ValueError(f"cutoff must be between 400 and {LAST_DAY - HORIZON}")
    started = time.perf_counter()
    sales, calendar = load_m5()
    history = store_history(sales, calendar, cutoff)
    as_of = as_timestamp(pd.Timestamp(calendar.loc[cutoff, "date"])).date()
    progress(f"training on d_1..d_{cutoff} ({config.bag} x {config.trees} trees)")
    model = train_forecaster(as_frame(history[history["day"] <= pd.Timestamp(as_of)]), config=config)
    progress(f"trained in {time.perf_counter() - started:.0f} s; forecasting d_{cutoff + 1}..d_{cutoff + HORIZON}")
    window = sales.loc[cutoff + 1 : cutoff + HORIZON]
    predicted, baseline, covered = {}, {}, 0
    for store in STORE_WEIGHTS:
        result = forecast(model, history, {"store": store}, HORIZON, as_of)
        predicted[store] = [day.p50 for day in result.days]
        baseline[store] = [day.p50 for day in seasonal_naive(history, store, HORIZON, as_of, id_columns=["store"]).days]
        covered += sum(day.p10 <= truth <= day.p90 for day, truth in zip(result.days, window[store], strict=True))
    actual = window.drop(columns=["date", "d"]).reset_index(drop=True)
    scales = rmsse_scales(sales, cutoff)
    forecast_units = _with_aggregates(pd.DataFrame(predicted))
    model_rmsse = _scores(forecast_units, actual, scales)
    bias = forecast_units.sum() / actual.sum() - 1
    baseline_rmsse = _scores(_with_aggregates(pd.DataFrame(baseline)), actual, scales)
    weights = {series: (level, weight) for level, table in LEVELS.items() for series, weight in table.items()}
    return BenchResult(
        cutoff=cutoff,
        rmsse=_levels(model_rmsse),
        baseline_seasonal_naive=_levels(baseline_rmsse),
        per_series={
            s: SeriesScore(
                level=weights[s][0],
                weight=weights[s][1],
                rmsse=model_rmsse[s],
                baseline_seasonal_naive=baseline_rmsse[s],
                bias=float(bias[s]),
            )
            for s in actual.columns
        },
        interval_coverage_p10_p90=covered / (HORIZON * len(STORE_WEIGHTS)),
        bias=float(bias["TOTAL"]),
        seconds=round(time.perf_counter() - started, 1),
    )


def _describe(result: BenchResult) -> list[str]:
    """Readable lines of a result."""
    lines = [f"M5 store level, d_{result.cutoff + 1}..d_{result.cutoff + HORIZON}, {result.seconds:.0f} s"]
    for level in ("L1", "L2", "L3"):
        ours, naive = getattr(result.rmsse, level), getattr(result.baseline_seasonal_naive, level)
        lines.append(f"  {level} RMSSE  xgb-demand {ours:.3f}   seasonal naive {naive:.3f}")
    return [
        *lines,
        f"  p10-p90 coverage of store days: {result.interval_coverage_p10_p90:.0%}",
        f"  forecast over actual units: {result.bias:+.1%}",
    ]


@app.command()
def main(
    cutoff: int = typer.Option(LAST_DAY - HORIZON, help="Last training day d_N; the 28 days after it are scored."),
    trees: int | None = typer.Option(None, help="Boosting rounds (default: the benchmark's chosen setting)."),
    windows: int = typer.Option(
        M5_CONFIG.calibration_windows, "--calibration-windows", min=1, help="Held-out windows pooled."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Score the demand forecaster and the seasonal naive on the M5 store-level data."""
    config = M5_CONFIG.model_copy(update={"calibration_windows": windows, **({"trees": trees} if trees else {})})
    report(lambda: run(cutoff, config), as_json, _describe)
