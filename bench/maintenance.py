"""Failure risk and remaining useful life on public data: AI4I 2020 (classification), NASA C-MAPSS FD001 (RUL)."""

import time

import numpy as np
import pandas as pd
import typer
from pydantic import BaseModel
from sklearn.metrics import average_precision_score, roc_auc_score
from sklearn.model_selection import StratifiedKFold

from bench.data import report, shared_data
from tools.maintenance import BoosterParams, estimator, rolling_features, time_to_next_event
from twin.typed_pandas import as_float, as_frame, as_series

app = typer.Typer()

AI4I_PROCESS = {
    "Air temperature [K]": "air_temp_k",
    "Process temperature [K]": "process_temp_k",
    "Rotational speed [rpm]": "speed_rpm",
    "Torque [Nm]": "torque_nm",
    "Tool wear [min]": "tool_wear_min",
}
AI4I_TYPES = {"L": 0, "M": 1, "H": 2}
AI4I_LABEL = "Machine failure"
CMAPSS_COLUMNS = ["unit", "cycle", "op1", "op2", "op3", *(f"s{i}" for i in range(1, 22))]
CMAPSS_RUL_CAP = 125
CMAPSS_WINDOW = 20
CMAPSS_PARAMS = BoosterParams(n_estimators=500, learning_rate=0.03, colsample_bytree=0.5, min_child_weight=5)
AI4I_PARAMS = BoosterParams(n_estimators=400)


class FoldScore(BaseModel):
    """ROC-AUC and PR-AUC of one cross-validation fold."""

    roc_auc: float
    pr_auc: float


class Ai4iResult(BaseModel):
    """Mean cross-validated scores of "Machine failure" on AI4I 2020."""

    roc_auc: float
    pr_auc: float
    folds: int
    rows: int
    per_fold: list[FoldScore]


class CmapssResult(BaseModel):
    """RMSE of the predicted RUL at each test engine's last cycle."""

    rmse: float
    engines: int
    sensors: list[str]


class MaintenanceBench(BaseModel):
    """Both benchmarks and the wall time."""

    ai4i: Ai4iResult
    cmapss_fd001: CmapssResult
    seconds: float


def ai4i_features(frame: pd.DataFrame) -> pd.DataFrame:
    """Machine type and the five process readings, plus power (W), heat-dissipation gap (K), overstrain (min*Nm)."""
    process = as_frame(frame[list(AI4I_PROCESS)]).rename(columns=AI4I_PROCESS)
    return process.assign(
        type=as_series(frame["Type"]).map(AI4I_TYPES),
        power_w=process["torque_nm"] * process["speed_rpm"] * 2 * np.pi / 60,
        temp_gap_k=process["process_temp_k"] - process["air_temp_k"],
        strain=process["tool_wear_min"] * process["torque_nm"],
    )


def ai4i_cv(folds: int = 5, rows: int | None = None, params: BoosterParams = AI4I_PARAMS) -> Ai4iResult:
    """Stratified k-fold ROC-AUC and PR-AUC of the failure classifier (never the failure-mode flags)."""
    frame = pd.read_csv(shared_data("maintenance", "ai4i2020", "ai4i2020.csv"), encoding="utf-8-sig")
    frame = frame.head(rows) if rows is not None else frame
    features, label = ai4i_features(frame), frame[AI4I_LABEL]
    scores = []
    for train, test in StratifiedKFold(folds, shuffle=True, random_state=params.seed).split(features, label):
        model = estimator("failure", params).fit(features.iloc[train], label.iloc[train])
        p_fail = model.predict_proba(features.iloc[test])[:, 1]
        truth = label.iloc[test]
        scores.append(FoldScore(roc_auc=roc_auc_score(truth, p_fail), pr_auc=average_precision_score(truth, p_fail)))
    return Ai4iResult(
        roc_auc=float(np.mean([s.roc_auc for s in scores])),
        pr_auc=float(np.mean([s.pr_auc for s in scores])),
        folds=folds,
        rows=len(frame),
        per_fold=scores,
    )


def read_cmapss(name: str, units: int | None = None) -> pd.DataFrame:
    """One C-MAPSS table (e.g. train_FD001), optionally only its first `units` engines."""
    path = shared_data("maintenance", "cmapss", f"{name}.txt")
    frame = pd.read_csv(path, sep=r"\s+", header=None, names=CMAPSS_COLUMNS)
    return as_frame(frame[frame["unit"] <= units]) if units else frame


def cmapss_features(frame: pd.DataFrame, sensors: list[str]) -> pd.DataFrame:
    """Cycle, sensor levels and their rolling means, slopes and drifts from the engine's running mean."""
    rolled = rolling_features(frame, entity="unit", time="cycle", columns=sensors, window=CMAPSS_WINDOW)
    return pd.concat([frame[["cycle", *sensors]], rolled], axis=1)


def cmapss_rul(
    train_units: int | None = None, test_units: int | None = None, params: BoosterParams = CMAPSS_PARAMS
) -> CmapssResult:
    """Train on train_FD001 (RUL capped at 125), predict at each test engine's last cycle, RMSE against RUL_FD001."""
    train, test = read_cmapss("train_FD001", train_units), read_cmapss("test_FD001", test_units)
    truth = pd.read_csv(shared_data("maintenance", "cmapss", "RUL_FD001.txt"), header=None).iloc[:, 0].to_numpy()
    sensors = [column for column in CMAPSS_COLUMNS[5:] if as_float(as_series(train[column]).std()) > 1e-3]
    failures = as_frame(train.groupby("unit", as_index=False)["cycle"].max())
    target = time_to_next_event(train, failures, entity="unit", time="cycle", cap=CMAPSS_RUL_CAP)
    model = estimator("rul", params).fit(cmapss_features(train, sensors), target)
    last = test.groupby("unit")["cycle"].idxmax()
    predicted = model.predict(cmapss_features(test, sensors).loc[last.to_numpy()])
    error = predicted - truth[last.index.to_numpy() - 1]
    return CmapssResult(rmse=float(np.sqrt(np.mean(error**2))), engines=len(last), sensors=sensors)


def run_bench() -> MaintenanceBench:
    """Both maintenance benchmarks on the full public data."""
    started = time.perf_counter()
    ai4i, cmapss = ai4i_cv(), cmapss_rul()
    return MaintenanceBench(ai4i=ai4i, cmapss_fd001=cmapss, seconds=round(time.perf_counter() - started, 2))


@app.command()
def maintenance(json_output: bool = typer.Option(False, "--json", help="Print one JSON object.")) -> None:
    """AI4I 2020 failure classification (5-fold CV) and C-MAPSS FD001 remaining useful life."""
    report(run_bench, json_output, _lines)


def _lines(result: MaintenanceBench) -> list[str]:
    """The readable form of a result."""
    ai4i = result.ai4i
    return [
        f"AI4I 2020 ({ai4i.folds}-fold CV): ROC-AUC {ai4i.roc_auc:.4f}, PR-AUC {ai4i.pr_auc:.4f}",
        f"C-MAPSS FD001 ({result.cmapss_fd001.engines} test engines): RUL RMSE {result.cmapss_fd001.rmse:.2f}",
        f"{result.seconds:.1f} s",
    ]
