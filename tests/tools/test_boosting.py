"""XGBoost imported for prediction only: boosters predict as usual, scikit-learn stays importable on demand."""

import os
import subprocess
import sys

from twin.settings import PROJECT_ROOT

PREDICT_THEN_FIT = """
import sys
import numpy as np
from tools.boosting import import_for_prediction
import_for_prediction()
import xgboost as xgb
assert "sklearn" not in sys.modules and "scipy.stats" not in sys.modules
rows = np.arange(40, dtype=float).reshape(20, 2)
booster = xgb.train({"max_depth": 2, "nthread": 1}, xgb.DMatrix(rows, label=rows[:, 0] * 2), num_boost_round=5)
contributions = booster.predict(xgb.DMatrix(rows), pred_contribs=True)
assert contributions.shape == (20, 3)
from sklearn.linear_model import LogisticRegression
LogisticRegression().fit(rows, rows[:, 0] > 19)
print("ok")
"""


def test_boosters_train_and_explain_and_scikit_learn_still_imports_afterwards():
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", PREDICT_THEN_FIT], capture_output=True, text=True, env=env, cwd=PROJECT_ROOT, check=True
    )
    assert done.stdout.strip() == "ok", done.stderr
