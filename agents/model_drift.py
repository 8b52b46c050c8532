"""Drift of the models in force: the features of what they scored recently on the twin against their training."""

from datetime import datetime, timedelta

import pandas as pd
from sqlmodel import Session, col, select

from agents.modelbook import ModelSet
from tools import drift, late_risk, maintenance
from twin import frames
from twin import models as m


class NoReference(LookupError):
    """The model's version in force was trained without reference bins (or drift is not measured for it)."""


def recent_features(session: Session, models: ModelSet, name: str, since: datetime) -> pd.DataFrame:
    """The features a model scored from `since` on: shipments shipped then (late risk), truck-days then (failure)."""
    if name == late_risk.MODEL_NAME:
        query = select(col(m.Shipment.id)).where(col(m.Shipment.shipped_at) >= since)
        frame = frames.shipment_frame(session, ids=list(session.exec(query).all()))
        return late_risk.late_risk_features(frame, models.late.categories) if len(frame) else pd.DataFrame()
    if name == maintenance.MODEL_NAME:
        telemetry = frames.telemetry_frame(session)
        recent = (telemetry["at"] >= pd.Timestamp(since)).to_numpy()
        return maintenance.truck_features(telemetry).loc[recent]
    raise NoReference(f"drift is not measured for model {name}")


def model_drift(
    session: Session, models: ModelSet, name: str, now: datetime, window_days: int, threshold: float
) -> drift.DriftReport:
    """PSI per feature of a model's version in force over the last `window_days` of scoring before `now`."""
    meta = models.meta(name)
    if not meta.reference:
        raise NoReference(f"model {name}@{meta.version} was trained without reference bins; retrain it")
    recent = recent_features(session, models, name, now - timedelta(days=window_days))
    return drift.drift_report(name, meta.version, meta.reference, recent, threshold)
