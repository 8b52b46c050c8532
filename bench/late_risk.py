"""Late-delivery risk on the seeded twin: the calibrated model versus the carrier-and-lane late rate, time split."""

import time
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import typer
from pydantic import BaseModel
from sklearn.metrics import brier_score_loss, roc_auc_score
from sqlalchemy import inspect
from sqlmodel import Session

from bench.data import DataMissing, report
from tools.late_risk import LateRiskParams, closed, historical_rate_baseline, train_late_risk
from twin.db import make_engine
from twin.frames import shipment_frame
from twin.settings import get_settings
from twin.typed_pandas import as_frame, as_series, as_timestamp

app = typer.Typer()


class Scores(BaseModel):
    """Ranking (ROC-AUC), accuracy of the probabilities (Brier) and calibration (ECE, 10 equal-width bins)."""

    roc_auc: float
    brier: float
    ece: float


class LateRiskBench(BaseModel):
    """Model and baseline scores on the latest shipments, with the split sizes and wall time."""

    model: Scores
    baseline: Scores
    train: int
    test: int
    late_rate_test: float
    cutoff: datetime
    seconds: float


def expected_calibration_error(label: np.ndarray, probability: np.ndarray, bins: int = 10) -> float:
    """Share-weighted gap between mean predicted probability and observed rate over equal-width bins."""
    which = np.minimum((probability * bins).astype(int), bins - 1)
    gaps = [
        abs(label[which == b].mean() - probability[which == b].mean()) * np.mean(which == b)
        for b in range(bins)
        if np.any(which == b)
    ]
    return float(np.sum(gaps))


def scores(label: np.ndarray, probability: np.ndarray) -> Scores:
    """All three scores of predicted probabilities against outcomes."""
    return Scores(
        roc_auc=float(roc_auc_score(label, probability)),
        brier=float(brier_score_loss(label, probability)),
        ece=expected_calibration_error(label, probability),
    )


def load_shipments(url: str) -> pd.DataFrame:
    """The twin's shipment history, or DataMissing when the database holds none (never creates a SQLite file)."""
    missing = DataMissing(f"no shipments in {url}; run `yardmaster seed` first")
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
        raise missing
    engine = make_engine(url)
    if not inspect(engine).has_table("shipment"):
        raise missing
    with Session(engine) as session:
        frame = shipment_frame(session)
    if frame.empty:
        raise missing
    return frame


def evaluate(frame: pd.DataFrame, test_share: float = 0.25, params: LateRiskParams | None = None) -> LateRiskBench:
    """Train on the earlier delivered shipments, score the latest `test_share` of them (by ship time)."""
    started = time.perf_counter()
    history = closed(frame)
    cutoff = as_timestamp(as_series(history["shipped_at"]).quantile(1 - test_share))
    train = as_frame(history[history["shipped_at"] < cutoff])
    test = as_frame(history[history["shipped_at"] >= cutoff])
    label = as_series(test["late"]).astype(int).to_numpy()
    model = train_late_risk(train, params)
    baseline = historical_rate_baseline(train)
    return LateRiskBench(
        model=scores(label, model.predict(test)),
        baseline=scores(label, baseline.predict(test)),
        train=len(train),
        test=len(test),
        late_rate_test=float(label.mean()),
        cutoff=as_timestamp(cutoff.floor("s")).to_pydatetime(),
        seconds=round(time.perf_counter() - started, 2),
    )


@app.command()
def late_risk(json_output: bool = typer.Option(False, "--json", help="Print one JSON object.")) -> None:
    """ROC-AUC, Brier score and ECE of the late-risk model versus the historical late rate, on the latest quarter."""
    report(lambda: evaluate(load_shipments(get_settings().resolved_database_url)), json_output, _lines)


def _lines(result: LateRiskBench) -> list[str]:
    """The readable form of a result."""
    lines = [f"train {result.train} shipments, test {result.test} shipped from {result.cutoff:%Y-%m-%d}"]
    for name, row in (("model", result.model), ("carrier-and-lane rate", result.baseline)):
        lines.append(f"{name:>22}: ROC-AUC {row.roc_auc:.4f}  Brier {row.brier:.4f}  ECE {row.ece:.4f}")
    return lines
