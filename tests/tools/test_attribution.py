"""Difference in differences with a cluster bootstrap on simulated rollouts: the desk on half the lanes, shadow on the
rest, with a planted change in the late rate on the desk's lanes (or none), over many random worlds."""

import numpy as np
import pytest

from tools.attribution import Units, before_after, difference_in_differences

LANES = 40  # 20 with the desk, 20 in shadow
PLANTED = -0.06  # the desk cuts the late rate by 6 points


def rollout(seed: int, effect: float) -> tuple[Units, Units]:
    """Lanes with their own late rate and volume; every lane drifts by the same amount after go-live, and the desk's
    lanes also get the planted effect. Counts are late deliveries over deliveries, a baseline of 28 days and 28
    days after."""
    rng = np.random.default_rng(seed)
    base = rng.beta(4, 20, LANES)  # lanes differ: about 17% late on average
    volume = rng.integers(20, 120, LANES)  # deliveries per period
    drift = 0.02  # the season worsens every lane alike
    treated = np.arange(LANES) < LANES // 2
    after = np.clip(base + drift + np.where(treated, effect, 0.0) + rng.normal(0, 0.01, LANES), 0.0, 1.0)
    rows = []
    for lane in range(LANES):
        before_n, after_n = rng.poisson(volume[lane]) + 1, rng.poisson(volume[lane]) + 1
        rows.append(
            (
                float(rng.binomial(before_n, base[lane])),
                float(before_n),
                float(rng.binomial(after_n, after[lane])),
                float(after_n),
            )
        )
    return Units.of([r for r, t in zip(rows, treated, strict=True) if t]), Units.of(
        [r for r, t in zip(rows, treated, strict=True) if not t]
    )


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_the_interval_covers_the_planted_effect_and_excludes_zero(seed: int):
    treated, control = rollout(seed, PLANTED)
    found = difference_in_differences(treated, control, seed=seed)
    assert found.covers(PLANTED), found
    assert found.high is not None and found.high < 0, "a 6-point cut on 20 lanes is told apart from no effect"
    assert (found.treated_units, found.control_units, found.resamples) == (20, 20, 2000)


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_with_no_effect_planted_the_interval_covers_zero(seed: int):
    found = difference_in_differences(*rollout(seed, 0.0), seed=seed)
    assert found.covers(0.0), found


def test_coverage_over_forty_worlds_is_near_its_nominal_95_percent():
    planted = sum(difference_in_differences(*rollout(100 + k, PLANTED), seed=k).covers(PLANTED) for k in range(40))
    null = sum(difference_in_differences(*rollout(200 + k, 0.0), seed=k).covers(0.0) for k in range(40))
    assert planted >= 34 and null >= 34, (planted, null)  # at least 85% of 40


def test_before_after_sees_the_drift_that_the_shadow_lanes_remove():
    treated, control = rollout(9, PLANTED)
    alone = before_after(treated, seed=9)
    against = difference_in_differences(treated, control, seed=9)
    assert alone.estimate == pytest.approx(treated.rates()[1] - treated.rates()[0], abs=1e-6)
    assert against.estimate is not None and alone.estimate is not None
    assert abs(against.estimate - PLANTED) < abs(alone.estimate - PLANTED), "the common drift biases before/after"


def test_hand_worked_estimate_and_a_fixed_seed_repeats():
    treated = Units.of([(1, 10, 1, 10), (3, 10, 1, 10)])  # 20% late before, 10% after
    control = Units.of([(2, 10, 2, 10), (2, 10, 4, 10)])  # 20% before, 30% after
    found = difference_in_differences(treated, control, seed=3)
    assert found.estimate == pytest.approx(-0.2)
    assert (found.treated_before, found.treated_after, found.control_before, found.control_after) == (
        0.2,
        0.1,
        0.2,
        0.3,
    )
    assert found == difference_in_differences(treated, control, seed=3)
    assert found.low is not None and found.high is not None and found.low <= -0.2 <= found.high


def test_units_missing_a_period_are_left_out_and_too_few_units_give_a_reason():
    treated = Units.of([(1, 10, 1, 10), (0, 0, 1, 10), (1, 10, 0, 0)])
    assert len(treated) == 1
    found = difference_in_differences(treated, Units.of([(1, 10, 1, 10), (2, 10, 2, 10)]))
    assert found.estimate is None and found.low is None and "treated 1" in (found.reason or "")
    assert before_after(Units.of([])).reason is not None
