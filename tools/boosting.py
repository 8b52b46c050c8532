"""XGBoost settings shared by the tree models, and its import for processes that only predict."""

import sys

from pydantic import BaseModel


class BoosterParams(BaseModel):
    """XGBoost settings: trees, depth, learning rate, sampling, threads and seed."""

    n_estimators: int = 300
    max_depth: int = 4
    learning_rate: float = 0.05
    subsample: float = 0.8
    colsample_bytree: float = 0.8
    min_child_weight: float = 1.0
    n_jobs: int = 1
    seed: int = 7


def import_for_prediction() -> None:
    """Import XGBoost for prediction only, without the scikit-learn (and SciPy statistics) it loads for its estimator
    classes, about a second of a cold start. Boosters predict and explain as before; the estimator classes refuse to
    train in this process, so only commands that never train call this, before anything else imports XGBoost.
    scikit-learn itself stays importable for whatever needs it later."""
    if "xgboost" in sys.modules or "sklearn" in sys.modules:
        return
    sys.modules["sklearn"] = None  # type: ignore[assignment]  # `import sklearn` fails, which XGBoost expects
    try:
        import xgboost as xgboost  # imported for its side effect: it loads with scikit-learn hidden
    finally:
        del sys.modules["sklearn"]
