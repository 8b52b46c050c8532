"""Model monitoring: each model's drift and performance measured on the twin's clock, kept over time, and the
findings that send it to governance; which action types rest on which model."""

from datetime import datetime, timedelta

from pydantic import BaseModel
from sqlmodel import Session

from agents.model_drift import NoReference, model_drift
from agents.model_performance import model_performance
from agents.modelbook import ModelSet
from tools import forecast, late_risk, maintenance
from tools.drift import DriftReport
from tools.performance import PerformanceReport
from twin import models as m
from twin import monitoring
from twin.settings import Settings

DEPENDENT_ACTIONS: dict[str, tuple[str, ...]] = {  # the action types whose proposals rest on a model's numbers
    late_risk.MODEL_NAME: ("notify_customer", "expedite_shipment", "switch_carrier"),
    maintenance.MODEL_NAME: ("schedule_maintenance", "replan_route", "tender_stops"),
    forecast.MODEL_NAME: (
        "place_purchase_order",
        "expedite_purchase",
        "transfer_stock",
        "raise_safety_stock",
        "set_reorder_point",
    ),
}


REFERENCE_KEY = "reference_auc"


def model_of(action_type: str) -> str | None:
    """The model an action type's proposals rest on, if any."""
    return next((name for name, kinds in DEPENDENT_ACTIONS.items() if action_type in kinds), None)


class ModelHealth(BaseModel):
    """A model version's drift (None when not measured for it) and performance now, and the findings among them."""

    model: str
    version: str
    drift: DriftReport | None
    performance: PerformanceReport

    @property
    def findings(self) -> list[str]:
        """Every reason to send the model to governance: drifted features, then crossed performance limits."""
        drift = self.drift
        drifted = (
            [f"{f.feature} drifted (PSI {f.psi:g} above {drift.threshold:g})" for f in drift.drifted] if drift else []
        )
        return [*drifted, *self.performance.breaches]


def drift_of(session: Session, models: ModelSet, name: str, now: datetime, settings: Settings) -> DriftReport | None:
    """The model's drift now, None when it is not measured for the model or its version."""
    try:
        return model_drift(session, models, name, now, settings.drift_window_days, settings.drift_psi_threshold)
    except NoReference:
        return None


def assess(session: Session, models: ModelSet, name: str, now: datetime, settings: Settings) -> ModelHealth:
    """A model's drift measured now and its performance on the twin's day (measured once a day: outcomes arrive
    by the day), both kept in its history."""
    version = models.meta(name).version
    kept = monitoring.measured(session, name, version, "performance", now)
    health = ModelHealth(
        model=name,
        version=version,
        drift=drift_of(session, models, name, now, settings),
        performance=report_of(kept) if kept else model_performance(session, models, name, now, settings),
    )
    keep(session, health, now, settings)
    return health


def report_of(run: m.ModelMonitorRun) -> PerformanceReport:
    """A kept performance run as the report it was measured as."""
    metrics = {key: value for key, value in run.metrics.items() if key != REFERENCE_KEY}
    return PerformanceReport(
        model=run.model,
        version=run.version,
        task="forecast" if run.model == forecast.MODEL_NAME else "classifier",
        window_start=run.window_start,
        window_end=run.window_end,
        rows=run.rows,
        metrics=metrics,
        reference_auc=run.metrics.get(REFERENCE_KEY),
        breaches=run.breaches,
    )


def keep(session: Session, health: ModelHealth, now: datetime, settings: Settings) -> None:
    """Keep a health measurement in the model's history: one drift run (when measured) and one performance run."""
    if (drift := health.drift) is not None:
        monitoring.keep(
            session,
            m.ModelMonitorRun(
                model=drift.model,
                version=drift.version,
                kind="drift",
                day=now.date(),
                measured_at=now,
                window_start=now - timedelta(days=settings.drift_window_days),
                window_end=now,
                rows=drift.rows,
                metrics={feature.feature: feature.psi for feature in drift.features},
                breaches=[feature.feature for feature in drift.drifted],
            ),
        )
    report = health.performance
    reference = {REFERENCE_KEY: report.reference_auc} if report.reference_auc else {}
    monitoring.keep(
        session,
        m.ModelMonitorRun.model_validate(
            report.model_dump(include={"model", "version", "window_start", "window_end", "rows", "breaches"})
            | {"kind": "performance", "day": now.date(), "measured_at": now, "metrics": report.metrics | reference}
        ),
    )
