"""Interval coverage of the demand forecaster on the seeded twin's own history: train with the twin's settings on all
days but the last 28, forecast those 28 days for every SKU at every DC, and count the actuals inside p10..p90 (per
series-day, by thirds of the series' daily volume, and for the 28-day totals)."""

import time
from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import typer
from pydantic import BaseModel, Field
from sqlalchemy import inspect
from sqlmodel import Session

from agents.modelbook import TWIN_FORECAST
from bench.data import DataMissing, report
from tools.forecast import ForecastConfig, forecasts, train_forecaster
from twin import models as m
from twin.db import make_engine
from twin.frames import demand_frame
from twin.settings import get_settings
from twin.typed_pandas import as_frame, as_series, as_timestamp

HORIZON = 28

app = typer.Typer(add_completion=False)


class TwinCoverage(BaseModel):
    """Share of held-out actuals inside the 80% interval, and the point forecast's weighted error."""

    cutoff: str
    series: int
    coverage_p10_p90: float
    coverage_by_volume_third: list[float]
    total_coverage_p10_p90: float
    wape: float
    bias: float = Field(description="Forecast over actual units of the held-out days, less one.")
    seconds: float


def load_demand(url: str) -> pd.DataFrame:
    """The twin's daily demand, or DataMissing when the database holds none (never creates a SQLite file)."""
    missing = DataMissing(f"no demand history in {url}; run `yardmaster seed` first")
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
        raise missing
    engine = make_engine(url)
    try:
        if not inspect(engine).has_table(str(m.DemandHistory.__tablename__)):
            raise missing
        with Session(engine) as session:
            frame = demand_frame(session)
    finally:
        engine.dispose()
    if frame.empty:
        raise missing
    return frame


def evaluate(history: pd.DataFrame, config: ForecastConfig = TWIN_FORECAST) -> TwinCoverage:
    """Train on the days before the last `HORIZON` observed ones and score the intervals on them."""
    started = time.perf_counter()
    history = history.assign(day=pd.to_datetime(history["day"]))
    observed = as_frame(history[history["units"].notna()])
    cutoff = as_timestamp(as_series(observed["day"]).max() - pd.Timedelta(days=HORIZON))
    model = train_forecaster(as_frame(observed[observed["day"] <= cutoff]), config=config)
    keys = as_frame(observed[config.id_columns]).drop_duplicates().sort_values(config.id_columns)
    series = [dict(zip(config.id_columns, map(str, row), strict=True)) for row in keys.itertuples(index=False)]
    results = forecasts(model, history, list(series), HORIZON, cutoff.date(), explain=[])
    truth = observed.set_index([*config.id_columns, "day"])["units"]
    days = [cutoff + timedelta(days=h) for h in range(1, HORIZON + 1)]
    inside, totals_inside, errors, units, forecast_units, levels = [], [], 0.0, 0.0, 0.0, []
    for one in results:
        actual = truth.loc[tuple(one.series[c] for c in config.id_columns)].reindex(days).to_numpy(float)
        low, high = np.array([d.p10 for d in one.days]), np.array([d.p90 for d in one.days])
        inside.append(((low <= actual) & (actual <= high)).mean())
        totals_inside.append(one.total.p10 <= actual.sum() <= one.total.p90)
        point = np.array([d.p50 for d in one.days])
        errors += float(np.abs(actual - point).sum())
        units += float(actual.sum())
        forecast_units += float(point.sum())
        levels.append(float(one.evidence.facts["recent_daily_mean"]))
    thirds = np.array_split(np.argsort(levels, kind="stable"), 3)
    return TwinCoverage(
        cutoff=cutoff.date().isoformat(),
        series=len(results),
        coverage_p10_p90=round(float(np.mean(inside)), 4),
        coverage_by_volume_third=[round(float(np.mean([inside[k] for k in third])), 4) for third in thirds],
        total_coverage_p10_p90=round(float(np.mean(totals_inside)), 4),
        wape=round(errors / max(units, 1e-9), 4),
        bias=round(forecast_units / max(units, 1e-9) - 1, 4),
        seconds=round(time.perf_counter() - started, 1),
    )


def _describe(result: TwinCoverage) -> list[str]:
    """Readable lines of a result."""
    thirds = " / ".join(f"{share:.0%}" for share in result.coverage_by_volume_third)
    return [
        f"twin demand, {result.series} series, 28 days after {result.cutoff}, {result.seconds:.0f} s",
        f"  p10-p90 coverage of series days: {result.coverage_p10_p90:.0%} (low / mid / high volume: {thirds})",
        f"  p10-p90 coverage of 28-day totals: {result.total_coverage_p10_p90:.0%}; WAPE {result.wape:.3f}, "
        f"forecast over actual units {result.bias:+.1%}",
    ]


@app.command()
def main(
    windows: int = typer.Option(
        TWIN_FORECAST.calibration_windows, "--calibration-windows", min=1, help="Held-out windows pooled."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Score the demand forecaster's 80% intervals on the last 28 days of the twin's history."""
    config = TWIN_FORECAST.model_copy(update={"calibration_windows": windows})
    report(lambda: evaluate(load_demand(get_settings().resolved_database_url), config), as_json, _describe)
