"""Population drift of a model's features: reference bins kept at training, and the population stability index
(PSI) of recently scored features against them."""

import math

import numpy as np
import pandas as pd
from pydantic import BaseModel

from tools.evidence import Evidence, Source

BINS = 10
FLOOR = 1e-4  # the share an empty bin counts as, so that PSI stays finite
SOURCE = Source(tool="drift", model="psi", version="1")


class FeatureBins(BaseModel):
    """A numeric feature's training distribution over its present values: interior bin edges (quantiles) and the
    share of values in each of the len(edges) + 1 bins. Missing values (a rolling window warming up) are left out on
    both sides."""

    edges: list[float]
    shares: list[float]


class FeatureDrift(BaseModel):
    """One feature's PSI between training and recent scoring."""

    feature: str
    psi: float
    drifted: bool


class DriftReport(BaseModel):
    """A model's drift: PSI per feature over the recently scored rows, and the features past the threshold."""

    model: str
    version: str
    rows: int
    threshold: float
    features: list[FeatureDrift]

    @property
    def drifted(self) -> list[FeatureDrift]:
        """The features whose PSI exceeds the threshold."""
        return [feature for feature in self.features if feature.drifted]

    def evidence(self) -> Evidence:
        """The report as an evidence record."""
        return Evidence(
            id=f"drift:{self.model}@{self.version}",
            source=SOURCE,
            inputs={"model": self.model, "version": self.version, "rows": self.rows, "threshold": self.threshold},
            facts={
                "psi": {feature.feature: feature.psi for feature in self.features},
                "drifted": [feature.feature for feature in self.drifted],
            },
        )


def reference_bins(features: pd.DataFrame, bins: int = BINS) -> dict[str, FeatureBins]:
    """The training distribution of every numeric column: quantile edges and the share of rows per bin."""
    reference = {}
    for column in features.columns:
        if not pd.api.types.is_numeric_dtype(features[column]):
            continue
        present = _floats(features[column]).dropna()
        edges = sorted(set(np.quantile(present, np.linspace(0, 1, bins + 1)[1:-1]).round(6))) if len(present) else []
        reference[column] = FeatureBins(edges=edges, shares=_shares(present, edges))
    return reference


def psi(reference: FeatureBins, values: pd.Series | pd.DataFrame) -> float:
    """The population stability index of the present values against a feature's reference: sum of (p - q) * ln(p / q)
    over the bins, each share floored at FLOOR (0 when no value is present)."""
    present = _floats(values).dropna()
    if present.empty:
        return 0.0
    recent, expected = _floored(_shares(present, reference.edges)), _floored(reference.shares)
    return round(sum((p - q) * math.log(p / q) for p, q in zip(recent, expected, strict=True)), 4)


def drift_report(
    model: str, version: str, reference: dict[str, FeatureBins], recent: pd.DataFrame, threshold: float
) -> DriftReport:
    """PSI of every referenced feature over the recent rows; an empty window drifts nowhere."""
    features = [
        FeatureDrift(feature=name, psi=value, drifted=value > threshold)
        for name, bins in reference.items()
        if name in recent.columns
        for value in [psi(bins, recent[name]) if len(recent) else 0.0]
    ]
    return DriftReport(model=model, version=version, rows=len(recent), threshold=threshold, features=features)


def _shares(present: pd.Series, edges: list[float]) -> list[float]:
    """The share of values in each bin cut at the edges (right-closed, open at both ends)."""
    counts = np.bincount(np.searchsorted(edges, present.to_numpy(), side="left"), minlength=len(edges) + 1)
    return (counts / max(len(present), 1)).round(6).tolist()


def _floats(values: pd.Series | pd.DataFrame) -> pd.Series:
    """One column's values as floats."""
    return pd.Series(values.to_numpy(dtype=float).ravel())


def _floored(shares: list[float]) -> list[float]:
    """Shares with every bin at least FLOOR."""
    return [max(share, FLOOR) for share in shares]
