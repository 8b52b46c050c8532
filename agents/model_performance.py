"""Performance of the models in force as outcomes arrive on the twin: late risk against deliveries, failure risk
against breakdowns within its horizon, the demand forecast against the units sold."""

from datetime import datetime, timedelta

import numpy as np
import pandas as pd
from sqlmodel import Session, col, select

from agents.modelbook import ModelSet
from tools import forecast, late_risk, maintenance, performance
from tools.performance import PerformanceLimits, PerformanceReport, Task
from twin import frames, monitoring
from twin import models as m
from twin.settings import Settings
from twin.typed_pandas import as_frame, as_series

REFERENCE_METRIC = "holdout_roc_auc"  # the ROC-AUC a classifier scored at training, where it was measured


def limits(settings: Settings) -> PerformanceLimits:
    """The performance limits set in the settings (`YM_PERF_*`)."""
    return PerformanceLimits(
        min_labels=settings.perf_min_labels,
        max_auc_drop=settings.perf_max_auc_drop,
        max_calibration_error=settings.perf_max_calibration_error,
        coverage_band=(settings.perf_min_coverage, settings.perf_max_coverage),
    )


def late_outcomes(session: Session, models: ModelSet, since: datetime, now: datetime) -> tuple[np.ndarray, np.ndarray]:
    """P(late) of the shipments delivered in the window and whether each arrived after its promise."""
    delivered = select(col(m.Shipment.id)).where(
        col(m.Shipment.delivered_at) >= since, col(m.Shipment.delivered_at) <= now
    )
    frame = frames.shipment_frame(session, ids=list(session.exec(delivered).all()))
    if frame.empty:
        return np.zeros(0), np.zeros(0)
    return models.late.predict(frame), frame["late"].astype(int).to_numpy()


def failure_outcomes(
    session: Session, models: ModelSet, since: datetime, now: datetime
) -> tuple[np.ndarray, np.ndarray, datetime]:
    """P(failure within the horizon) of the truck-days whose horizon has passed, ending the horizon before `now`,
    and whether the truck failed within it; with the window's start moved back by the horizon."""
    fleet = models.fleet
    horizon = timedelta(days=fleet.failure.target_days)
    telemetry = frames.telemetry_frame(session)
    labels = maintenance.failure_labels(telemetry, frames.failure_frame(session), fleet.failure.target_days)
    chosen = (
        (telemetry["at"] >= pd.Timestamp(since - horizon)) & (telemetry["at"] <= pd.Timestamp(now - horizon))
    ).to_numpy() & labels.notna().to_numpy()
    if not chosen.any():
        return np.zeros(0), np.zeros(0), since - horizon
    features = as_frame(maintenance.truck_features(telemetry).loc[chosen, fleet.failure.features])
    return fleet.failure.predict(features), labels.to_numpy()[chosen].astype(int), since - horizon


def demand_outcomes(
    session: Session, models: ModelSet, since: datetime, series_count: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Units sold, forecast, and 10th and 90th percentiles per day since `since` of the busiest series, each
    forecast from the window's first day as the desk would have forecast it then."""
    history = frames.demand_frame(session)
    origin = since.date()
    days = as_series(history["day"]).dt.date
    recent = as_frame(history[(days > origin - timedelta(days=28)) & (days <= origin)])
    volume = as_series(recent.groupby(["sku", "location"])["units"].sum()).sort_values(ascending=False, kind="stable")
    series = [{"sku": str(sku), "location": str(dc)} for sku, dc in list(volume.index)[:series_count]]
    after = as_frame(history.assign(date=days)[days > origin])
    sold = {
        (str(sku), str(dc), day): float(units)
        for sku, dc, day, units in after[["sku", "location", "date", "units"]].itertuples(index=False, name=None)
    }
    horizon = min(models.demand.config.max_horizon, (max((day for _, _, day in sold), default=origin) - origin).days)
    if not series or horizon < 1:
        return np.zeros(0), np.zeros(0), np.zeros(0), np.zeros(0)
    made = forecast.forecasts(models.demand, history, list(series), horizon, origin, explain=[])
    known = [
        [sold[key], day.p50, day.p10, day.p90]
        for one in made
        for day in one.days
        if (key := (one.series["sku"], one.series["location"], day.day)) in sold
    ]
    columns = np.array(known, dtype=float).reshape(-1, 4)
    return columns[:, 0], columns[:, 1], columns[:, 2], columns[:, 3]


def reference_auc(session: Session, models: ModelSet, name: str) -> float | None:
    """The ROC-AUC a classifier is held to: its score at training, else its first kept measurement."""
    meta = models.meta(name)
    if REFERENCE_METRIC in meta.metrics:
        return round(meta.metrics[REFERENCE_METRIC], 4)
    kept = monitoring.history(session, name, "performance")
    first = next((run for run in kept if run.version == meta.version and "roc_auc" in run.metrics), None)
    return first.metrics["roc_auc"] if first else None


def model_performance(
    session: Session, models: ModelSet, name: str, now: datetime, settings: Settings
) -> PerformanceReport:
    """The performance of a model's version in force on the outcomes known in the last `perf_window_days` before
    `now`, with the limits it crosses."""
    since = now - timedelta(days=settings.perf_window_days)
    start, reference = since, None
    if name == forecast.MODEL_NAME:
        task: Task = "forecast"
        actual, point, low, high = demand_outcomes(session, models, since, settings.perf_demand_series)
        rows, measured = len(actual), performance.forecast_metrics(actual, point, low, high)
    else:
        task = "classifier"
        if name == late_risk.MODEL_NAME:
            scores, labels = late_outcomes(session, models, since, now)
        else:
            scores, labels, start = failure_outcomes(session, models, since, now)
        rows, measured = len(labels), performance.classifier_metrics(scores, labels)
        reference = reference_auc(session, models, name)
    return PerformanceReport(
        model=name,
        version=models.meta(name).version,
        task=task,
        window_start=start,
        window_end=now,
        rows=rows,
        metrics=measured,
        reference_auc=reference,
        breaches=performance.breaches(task, measured, rows, reference, limits(settings)),
    )
