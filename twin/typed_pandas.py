"""Typed reads of pandas results: pandas types column reads, selections and aggregates loosely (a column read may be
a frame, a maximum any scalar), so code that needs one kind checks it here once and fails clearly otherwise."""

from datetime import date

import numpy as np
import pandas as pd


def as_series(value: object) -> pd.Series:
    """A pandas result that must be a Series; TypeError if not."""
    if not isinstance(value, pd.Series):
        raise TypeError(f"expected a Series, got {type(value).__name__}")
    return value


def as_frame(value: object) -> pd.DataFrame:
    """A pandas result that must be a DataFrame; TypeError if not."""
    if not isinstance(value, pd.DataFrame):
        raise TypeError(f"expected a DataFrame, got {type(value).__name__}")
    return value


def as_float(value: object) -> float:
    """A pandas scalar that must be a number (a cell, a statistic of a column); TypeError if not."""
    if not isinstance(value, int | float | np.integer | np.floating):
        raise TypeError(f"expected a number, got {value!r}")
    return float(value)


def as_day(value: object) -> date:
    """A pandas value that must be a calendar day (a date, or a timestamp, which is one); TypeError if not."""
    if not isinstance(value, date):
        raise TypeError(f"expected a day, got {value!r}")
    return value


def as_timestamp(value: object) -> pd.Timestamp:
    """A pandas value that must be a timestamp (NaT is not one); TypeError if not."""
    if not isinstance(value, pd.Timestamp):
        raise TypeError(f"expected a timestamp, got {value!r}")
    return value
