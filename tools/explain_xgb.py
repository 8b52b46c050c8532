"""Per-prediction drivers of an XGBoost model: its exact tree SHAP contributions (`pred_contribs`)."""

import math

import numpy as np
import pandas as pd
import xgboost as xgb

from tools.evidence import Driver


def contributions(booster: xgb.Booster, features: pd.DataFrame) -> np.ndarray:
    """Each row's contribution of each feature to the model margin (rows x features, bias dropped)."""
    matrix = xgb.DMatrix(features, enable_categorical=True, nthread=1)  # a few rows: threads cost more than they save
    return booster.predict(matrix, pred_contribs=True)[:, :-1]


def top_drivers(booster: xgb.Booster, features: pd.DataFrame, k: int = 5) -> list[list[Driver]]:
    """For each row, the k features with the largest absolute contribution, with the row's value of each."""
    contribs = contributions(booster, features)
    order = np.argsort(-np.abs(contribs), axis=1, kind="stable")[:, :k]
    return [
        [
            Driver(
                feature=features.columns[j],
                value=_plain(features.iat[i, j]),
                contribution=round(float(contribs[i, j]), 4),
            )
            for j in order[i]
        ]
        for i in range(len(features))
    ]


def _plain(value: object) -> float | str | None:
    """A feature value as JSON-friendly float, string or None (missing)."""
    if isinstance(value, str):
        return value
    if value is None or value is pd.NA:
        return None
    if not isinstance(value, int | float | np.integer | np.floating | np.bool_):
        raise TypeError(f"feature value {value!r} is neither a number nor a category")
    number = float(value)
    return None if math.isnan(number) else round(number, 4)
