"""XGBoost settings shared by the tree models."""

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
