"""Difference in differences with a cluster bootstrap: how a ratio KPI changed on treated units against control units
(or against the treated units' own baseline period), with a 95% percentile interval from resampling whole units."""

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, Field

RESAMPLES = 2000
CONFIDENCE = 0.95
MIN_UNITS = 2  # a group needs two units observed in both periods for its spread to be resampled
Method = Literal["difference_in_differences", "before_after"]


@dataclass(frozen=True)
class Units:
    """A group of units (lanes, SKU-DC positions, trucks): each one's KPI numerator and denominator before and after.

    A group's rate in a period is pooled: its numerators summed over its denominators summed, as the KPI is defined.
    """

    before_num: NDArray[np.float64]
    before_den: NDArray[np.float64]
    after_num: NDArray[np.float64]
    after_den: NDArray[np.float64]

    @classmethod
    def of(cls, rows: list[tuple[float, float, float, float]]) -> "Units":
        """Units from (before numerator, before denominator, after numerator, after denominator) rows, keeping only
        those observed in both periods (a positive denominator in each)."""
        table = np.array([row for row in rows if row[1] > 0 and row[3] > 0], dtype=np.float64).reshape(-1, 4)
        return cls(table[:, 0], table[:, 1], table[:, 2], table[:, 3])

    def __len__(self) -> int:
        return len(self.before_den)

    def change(self, picks: NDArray[np.intp]) -> NDArray[np.float64]:
        """The pooled rate after less the pooled rate before, for each row of unit indices in `picks`."""
        with np.errstate(invalid="ignore", divide="ignore"):
            after = self.after_num[picks].sum(axis=-1) / self.after_den[picks].sum(axis=-1)
            before = self.before_num[picks].sum(axis=-1) / self.before_den[picks].sum(axis=-1)
        return after - before

    def rates(self) -> tuple[float | None, float | None]:
        """The group's pooled rate before and after."""
        if not len(self):
            return None, None
        return (
            _rounded(self.before_num.sum() / self.before_den.sum()),
            _rounded(self.after_num.sum() / self.after_den.sum()),
        )


class Estimate(BaseModel):
    """An effect on a KPI with its bootstrap interval; null figures carry the reason."""

    method: Method = Field(
        description="difference_in_differences: treated units' change less control units' change; before_after: "
        "treated units' change from the baseline period"
    )
    estimate: float | None
    low: float | None = Field(description="2.5th percentile of the resampled estimates")
    high: float | None = Field(description="97.5th percentile of the resampled estimates")
    treated_units: int
    control_units: int
    treated_before: float | None = Field(description="the treated units' pooled rate in the baseline period")
    treated_after: float | None
    control_before: float | None = None
    control_after: float | None = None
    resamples: int = Field(description="bootstrap resamples of units, with replacement, within each group")
    reason: str | None = Field(default=None, description="why the estimate or its interval is missing")

    def covers(self, value: float) -> bool:
        """Whether the interval holds a value."""
        return self.low is not None and self.high is not None and self.low <= value <= self.high


def _rounded(value: float) -> float | None:
    """A finite figure rounded for reading, None otherwise."""
    return round(float(value), 6) if np.isfinite(value) else None


def _interval(draws: NDArray[np.float64]) -> tuple[float | None, float | None]:
    """The central 95% of the finite resampled estimates."""
    finite = draws[np.isfinite(draws)]
    if not len(finite):
        return None, None
    tail = (1 - CONFIDENCE) / 2 * 100
    low, high = np.percentile(finite, [tail, 100 - tail])
    return _rounded(low), _rounded(high)


def _too_few(groups: dict[str, Units]) -> str | None:
    """Which group has fewer than `MIN_UNITS` units observed in both periods, if any."""
    short = [f"{name} {len(units)}" for name, units in groups.items() if len(units) < MIN_UNITS]
    if short:
        return f"too few units seen in both periods ({', '.join(short)}; {MIN_UNITS} needed)"
    return None


def difference_in_differences(treated: Units, control: Units, seed: int = 0, resamples: int = RESAMPLES) -> Estimate:
    """The treated units' change less the control units' change, resampling units within each group."""
    before_t, after_t = treated.rates()
    before_c, after_c = control.rates()
    base = Estimate(
        method="difference_in_differences",
        estimate=None,
        low=None,
        high=None,
        treated_units=len(treated),
        control_units=len(control),
        treated_before=before_t,
        treated_after=after_t,
        control_before=before_c,
        control_after=after_c,
        resamples=resamples,
    )
    if reason := _too_few({"treated": treated, "control": control}):
        return base.model_copy(update={"reason": reason})
    rng = np.random.default_rng(seed)
    point = float(treated.change(np.arange(len(treated))) - control.change(np.arange(len(control))))
    draws = treated.change(rng.integers(0, len(treated), (resamples, len(treated)))) - control.change(
        rng.integers(0, len(control), (resamples, len(control)))
    )
    low, high = _interval(draws)
    return base.model_copy(update={"estimate": _rounded(point), "low": low, "high": high})


def before_after(treated: Units, seed: int = 0, resamples: int = RESAMPLES) -> Estimate:
    """The treated units' change from their baseline period, resampling units."""
    before_t, after_t = treated.rates()
    base = Estimate(
        method="before_after",
        estimate=None,
        low=None,
        high=None,
        treated_units=len(treated),
        control_units=0,
        treated_before=before_t,
        treated_after=after_t,
        resamples=resamples,
    )
    if reason := _too_few({"treated": treated}):
        return base.model_copy(update={"reason": reason})
    rng = np.random.default_rng(seed)
    point = float(treated.change(np.arange(len(treated))))
    low, high = _interval(treated.change(rng.integers(0, len(treated), (resamples, len(treated)))))
    return base.model_copy(update={"estimate": _rounded(point), "low": low, "high": high})
