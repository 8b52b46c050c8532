"""Model performance as outcomes arrive: ROC-AUC and expected calibration error of a probability against what
happened, WMAPE and interval coverage of a forecast against what sold, and the limits that flag a model."""

from datetime import datetime
from typing import Literal

import numpy as np
from pydantic import BaseModel, Field

from tools.evidence import Evidence, Source

CALIBRATION_BINS = 10
INTERVAL_SHARE = 0.8  # the forecast's 10th to 90th percentile
SOURCE = Source(tool="performance", model="outcome-check", version="1")
Task = Literal["classifier", "forecast"]


def roc_auc(scores: np.ndarray, labels: np.ndarray) -> float | None:
    """The probability that a positive scores above a negative (ties count half); None with one class only."""
    positives = int(labels.sum())
    negatives = len(labels) - positives
    if positives == 0 or negatives == 0:
        return None
    from scipy.stats import rankdata  # scipy.stats takes a second to import: only where a score is computed

    ranks = rankdata(scores)
    return float((ranks[labels == 1].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def calibration_error(probabilities: np.ndarray, labels: np.ndarray, bins: int = CALIBRATION_BINS) -> float:
    """Expected calibration error: over equal-width probability bins, the share of rows in each times the gap
    between its mean probability and its observed rate."""
    if len(labels) == 0:
        return 0.0
    index = np.minimum((probabilities * bins).astype(int), bins - 1)
    total = 0.0
    for b in np.unique(index):
        members = index == b
        total += members.mean() * abs(probabilities[members].mean() - labels[members].mean())
    return float(total)


def wmape(actual: np.ndarray, forecast: np.ndarray) -> float | None:
    """Weighted mean absolute percentage error: the sum of absolute errors over the sum of actual units."""
    units = float(np.abs(actual).sum())
    return float(np.abs(actual - forecast).sum() / units) if units > 0 else None


def coverage(actual: np.ndarray, low: np.ndarray, high: np.ndarray) -> float | None:
    """The share of actual values inside their interval (bounds included)."""
    return float(((actual >= low) & (actual <= high)).mean()) if len(actual) else None


class PerformanceLimits(BaseModel):
    """When a model's measured performance is a finding: too few outcomes are no finding at all."""

    min_labels: int = Field(ge=1)
    max_auc_drop: float = Field(gt=0, le=1, description="The most ROC-AUC may fall below its reference.")
    max_calibration_error: float = Field(gt=0, le=1)
    coverage_band: tuple[float, float] = Field(description="The share of actual units an 80% interval must hold.")


class PerformanceReport(BaseModel):
    """A model version's performance on the outcomes known in a window of the twin's clock."""

    model: str
    version: str
    task: Task
    window_start: datetime
    window_end: datetime
    rows: int = Field(description="Labelled outcomes (classifier rows, or forecast series-days)")
    metrics: dict[str, float]
    reference_auc: float | None = Field(default=None, description="The ROC-AUC the model is held to")
    breaches: list[str] = Field(default_factory=list, description="Why the performance is a finding, one per limit")

    def evidence(self, limits: PerformanceLimits) -> Evidence:
        """The report as an evidence record, with the limits it was held to."""
        auc = self.metrics.get("roc_auc")
        drop = round(self.reference_auc - auc, 4) if auc is not None and self.reference_auc is not None else None
        return Evidence(
            id=f"performance:{self.model}@{self.version}",
            source=SOURCE,
            inputs={
                "model": self.model,
                "version": self.version,
                "window_start": self.window_start.isoformat(),
                "window_end": self.window_end.isoformat(),
                "rows": self.rows,
                "interval_share": INTERVAL_SHARE,
                "limits": limits.model_dump(mode="json"),
            },
            facts={**self.metrics, "reference_auc": self.reference_auc, "auc_drop": drop, "breaches": self.breaches},
        )


def classifier_metrics(probabilities: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    """ROC-AUC (when both outcomes occur), expected calibration error and the observed and predicted rates."""
    auc = roc_auc(probabilities, labels)
    measured = {
        "calibration_error": round(calibration_error(probabilities, labels), 4),
        "observed_rate": round(float(labels.mean()), 4) if len(labels) else 0.0,
        "mean_probability": round(float(probabilities.mean()), 4) if len(labels) else 0.0,
    }
    return {**measured, "roc_auc": round(auc, 4)} if auc is not None else measured


def forecast_metrics(actual: np.ndarray, point: np.ndarray, low: np.ndarray, high: np.ndarray) -> dict[str, float]:
    """WMAPE of the point forecast and coverage of the 10-90% interval."""
    error, covered = wmape(actual, point), coverage(actual, low, high)
    return {
        **({"wmape": round(error, 4)} if error is not None else {}),
        **({"coverage_80": round(covered, 4)} if covered is not None else {}),
    }


def breaches(
    task: Task, metrics: dict[str, float], rows: int, reference_auc: float | None, limits: PerformanceLimits
) -> list[str]:
    """The limits a measurement crosses, each as a sentence; none below the minimum of labelled outcomes."""
    if rows < limits.min_labels:
        return []
    found = []
    if task == "classifier":
        auc, ece = metrics.get("roc_auc"), metrics.get("calibration_error", 0.0)
        if auc is not None and reference_auc is not None and reference_auc - auc > limits.max_auc_drop:
            found.append(f"AUC {auc:.3f} fell {reference_auc - auc:.3f} below its reference {reference_auc:.3f}")
        if ece > limits.max_calibration_error:
            found.append(f"calibration error {ece:.3f} above {limits.max_calibration_error:g}")
    low, high = limits.coverage_band
    covered = metrics.get("coverage_80")
    if task == "forecast" and covered is not None:
        least, most = coverage_interval(covered, rows)
        if most < low or least > high:
            found.append(
                f"80% interval coverage {covered:.1%} (95% CI {least:.1%} to {most:.1%} over {rows} series-days) "
                f"outside {low:.0%} to {high:.0%}"
            )
    return found


def coverage_interval(covered: float, rows: int) -> tuple[float, float]:
    """The Wilson 95% interval of a coverage measured on `rows` outcomes: a band is crossed only beyond it."""
    from scipy.stats import binomtest

    found = binomtest(round(covered * rows), rows).proportion_ci(confidence_level=0.95, method="wilson")
    return float(found.low), float(found.high)
