"""PSI against training bins: near zero for the same population, past 0.2 for a shifted one, finite with empty bins,
over the present values only."""

import numpy as np
import pandas as pd

from tools.drift import drift_report, psi, reference_bins


def test_psi_is_near_zero_for_the_same_population_and_large_for_a_shifted_one():
    rng = np.random.default_rng(7)
    training = pd.DataFrame({"miles": rng.normal(300, 50, 5000), "lane": ["DAL-HOU"] * 5000})
    reference = reference_bins(training)
    assert set(reference) == {"miles"} and len(reference["miles"].edges) == 9
    assert abs(sum(reference["miles"].shares) - 1) < 1e-6

    same = pd.Series(rng.normal(300, 50, 800))
    shifted = pd.Series(rng.normal(380, 50, 800))
    assert psi(reference["miles"], same) < 0.05
    assert psi(reference["miles"], shifted) > 0.2
    assert np.isfinite(psi(reference["miles"], pd.Series([10_000.0] * 50)))  # every row in one bin
    warming_up = pd.Series([*[np.nan] * 400, *rng.normal(300, 50, 400)])
    assert psi(reference["miles"], warming_up) < 0.05  # missing values are left out
    assert psi(reference["miles"], pd.Series([np.nan, np.nan])) == 0.0


def test_a_report_names_the_drifted_features_and_an_empty_window_drifts_nowhere():
    rng = np.random.default_rng(8)
    training = pd.DataFrame({"miles": rng.normal(300, 50, 3000), "hours": rng.gamma(2, 10, 3000)})
    reference = reference_bins(training)
    recent = pd.DataFrame({"miles": rng.normal(300, 50, 500), "hours": rng.gamma(2, 10, 500) * 3})
    report = drift_report("xgb-late-risk", "v1", reference, recent, threshold=0.2)
    assert [f.feature for f in report.drifted] == ["hours"] and report.rows == 500
    assert report.evidence().facts["drifted"] == ["hours"]
    empty = drift_report("xgb-late-risk", "v1", reference, pd.DataFrame(), threshold=0.2)
    assert empty.rows == 0 and not empty.drifted
