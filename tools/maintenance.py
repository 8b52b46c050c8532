"""Equipment failure risk: XGBoost P(failure within N days) and remaining useful life per truck, with drivers."""

import hashlib
import json
from datetime import datetime
from pathlib import Path
from typing import Literal, overload

import numpy as np
import pandas as pd
import xgboost as xgb
from pydantic import BaseModel, ConfigDict, Field

from tools import registry
from tools.boosting import BoosterParams
from tools.drift import FeatureBins, reference_bins
from tools.evidence import Driver, Evidence, Source
from tools.explain_xgb import top_drivers
from tools.registry import ModelMeta, frame_hash
from twin.typed_pandas import as_frame, as_series

MODEL_NAME = "xgb-failure-risk"
SENSORS = ["engine_temp_c", "oil_pressure_kpa", "vibration_mm_s", "fault_codes"]
LEVELS = [*SENSORS, "miles_since_service", "odometer_miles", "age_years"]
WINDOW_DAYS = 7
DAY = pd.Timedelta(days=1)
EPOCH = pd.Timestamp("1970-01-01", tz="UTC")


# --- degradation features and targets, shared with the public benchmarks ------------------------


def rolling_features(frame: pd.DataFrame, *, entity: str, time: str, columns: list[str], window: int) -> pd.DataFrame:
    """Per entity in time order: mean and least-squares slope over the last `window` rows, drift from the running mean."""
    ordered = frame.sort_values([entity, time])
    step = ordered.groupby(entity).cumcount().astype(float)
    parts = {"k": step, "kk": step * step}
    for column in columns:
        parts[column] = ordered[column].astype(float)
        parts[f"k*{column}"] = step * ordered[column].astype(float)
    sums = pd.DataFrame(parts).groupby(ordered[entity]).rolling(window, min_periods=1).sum().droplevel(0)
    counts = ordered.groupby(entity).cumcount().clip(upper=window - 1) + 1.0
    denominator = (counts * sums["kk"] - sums["k"] ** 2).replace(0.0, np.nan)
    running = ordered[columns].astype(float).groupby(ordered[entity]).expanding().mean().droplevel(0)
    features = {}
    for column in columns:
        mean = sums[column] / counts
        features[f"{column}_mean{window}"] = mean
        slope = (counts * sums[f"k*{column}"] - sums["k"] * sums[column]) / denominator
        features[f"{column}_slope{window}"] = slope.fillna(0.0)
        features[f"{column}_drift"] = mean - running[column]
    return pd.DataFrame(features).reindex(frame.index)


def time_to_next_event(frame: pd.DataFrame, events: pd.DataFrame, *, entity: str, time: str, cap: float) -> pd.Series:
    """Time from each row to its entity's next event (at or after it), capped; NaN if the record ends first without one."""
    rows = pd.DataFrame({entity: frame[entity].to_numpy(), "_at": frame[time].to_numpy(float)})
    rows["_row"] = range(len(frame))
    upcoming = pd.DataFrame({entity: events[entity].to_numpy(), "_event": events[time].to_numpy(float)})
    merged = pd.merge_asof(
        rows.sort_values("_at"),
        upcoming.sort_values("_event"),
        left_on="_at",
        right_on="_event",
        by=entity,
        direction="forward",
    ).sort_values("_row")
    record_end = merged.groupby(entity)["_at"].transform("max")
    until = (merged["_event"] - merged["_at"]).clip(upper=cap)
    censored = until.isna() & (record_end - merged["_at"] >= cap)
    return pd.Series(until.mask(censored, float(cap)).to_numpy(), index=frame.index)


# --- truck features --------------------------------------------------------------------------------


def truck_features(telemetry: pd.DataFrame) -> pd.DataFrame:
    """Model inputs per truck-day: levels, 7-day rolling means, slopes and drifts, miles since service, age."""
    frame = telemetry.assign(
        day=(telemetry["at"] - EPOCH) / DAY,
        age_years=telemetry["at"].dt.year - telemetry["model_year"],
    )
    rolled = rolling_features(frame, entity="truck", time="day", columns=SENSORS, window=WINDOW_DAYS)
    return pd.concat([frame[LEVELS].astype(float), rolled], axis=1)


def watched(columns: list[str]) -> list[str]:
    """The features watched for drift: sensor levels and their weekly means (slopes and drifts, their day-to-day
    changes, move with every truck's wear by design)."""
    return [column for column in columns if column in LEVELS or column.endswith(f"_mean{WINDOW_DAYS}")]


def _days(frame: pd.DataFrame) -> pd.DataFrame:
    """Truck and event time as float days since the epoch."""
    return pd.DataFrame({"truck": frame["truck"], "day": (frame["at"] - EPOCH) / DAY})


# --- models ------------------------------------------------------------------------------------------


class TruckModel(BaseModel):
    """One trained truck model: a failure classifier or a remaining-useful-life regressor."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    kind: Literal["failure", "rul"]
    booster: xgb.Booster
    features: list[str]
    target_days: int = Field(description="Failure horizon (classifier) or RUL cap (regressor), in days.")
    params: BoosterParams
    data_hash: str
    reference: dict[str, FeatureBins] = Field(default_factory=dict)  # training distribution, kept in the registry

    def predict(self, features: pd.DataFrame) -> np.ndarray:
        """P(failure within the horizon) or RUL days per row."""
        return self.booster.predict(xgb.DMatrix(features[self.features]))

    def save(self, folder: Path) -> None:
        """Write the booster and its settings under `folder`."""
        self.booster.save_model(folder / f"{self.kind}.ubj")
        (folder / f"{self.kind}.json").write_text(self.model_dump_json(exclude={"booster", "reference"}, indent=2))

    @classmethod
    def load(cls, folder: Path, kind: Literal["failure", "rul"]) -> "TruckModel":
        """Read a model written by `save`."""
        booster = xgb.Booster()
        booster.load_model(folder / f"{kind}.ubj")
        return cls.model_validate({**json.loads((folder / f"{kind}.json").read_text()), "booster": booster})


@overload
def estimator(kind: Literal["failure"], params: BoosterParams) -> xgb.XGBClassifier: ...
@overload
def estimator(kind: Literal["rul"], params: BoosterParams) -> xgb.XGBRegressor: ...
@overload
def estimator(kind: Literal["failure", "rul"], params: BoosterParams) -> xgb.XGBModel: ...
def estimator(kind: Literal["failure", "rul"], params: BoosterParams) -> xgb.XGBModel:
    """An unfitted XGBoost classifier (failure) or regressor (RUL) with these settings."""
    settings = params.model_dump(exclude={"seed"})
    if kind == "failure":
        return xgb.XGBClassifier(**settings, random_state=params.seed, tree_method="hist")
    return xgb.XGBRegressor(**settings, random_state=params.seed, tree_method="hist")


def _fit(
    kind: Literal["failure", "rul"], features: pd.DataFrame, target: pd.Series, target_days: int, params: BoosterParams
) -> TruckModel:
    """Fit one truck model on the rows whose target is known."""
    known = target.notna()
    fitted = estimator(kind, params).fit(features[known], target[known])
    data_hash = frame_hash(pd.concat([features[known], as_series(target[known]).rename("target")], axis=1))
    return TruckModel(
        kind=kind,
        booster=fitted.get_booster(),
        features=list(features.columns),
        target_days=target_days,
        params=params,
        data_hash=data_hash,
        reference=reference_bins(features.loc[known, watched(list(features.columns))]),
    )


def train_failure_risk(
    telemetry: pd.DataFrame, failures: pd.DataFrame, horizon_days: int = 14, params: BoosterParams | None = None
) -> TruckModel:
    """Train the classifier of a failure within the next `horizon_days` from telemetry and failure records."""
    label = failure_labels(telemetry, failures, horizon_days)
    return _fit("failure", truck_features(telemetry), label, horizon_days, params or BoosterParams())


def failure_labels(telemetry: pd.DataFrame, failures: pd.DataFrame, horizon_days: int) -> pd.Series:
    """Per truck-day reading: 1 when the truck failed within `horizon_days` after it, 0 when it did not, NaN while the
    record is too short to tell."""
    until = time_to_next_event(_days(telemetry), _days(failures), entity="truck", time="day", cap=horizon_days + 1)
    return until.le(horizon_days).astype(float).where(until.notna())


def train_rul(
    telemetry: pd.DataFrame, failures: pd.DataFrame, cap_days: int = 60, params: BoosterParams | None = None
) -> TruckModel:
    """Train the regressor of days to the next failure, capped at `cap_days` (piecewise-linear target)."""
    until = time_to_next_event(_days(telemetry), _days(failures), entity="truck", time="day", cap=cap_days)
    return _fit("rul", truck_features(telemetry), until, cap_days, params or BoosterParams())


class MaintenanceModels(BaseModel):
    """The failure classifier and the RUL regressor, saved and versioned together."""

    failure: TruckModel
    rul: TruckModel
    registered_version: str | None = None

    @property
    def version(self) -> str:
        """The registry version once registered; before that, a fingerprint of both training sets and settings."""
        without_boosters = {"failure": {"booster", "reference"}, "rul": {"booster", "reference"}}
        settings = self.model_dump_json(include={"failure", "rul"}, exclude=without_boosters)
        fingerprint = hashlib.sha256(settings.encode())
        return self.registered_version or fingerprint.hexdigest()[:12]

    @property
    def data_hash(self) -> str:
        """The content hashes of both training sets."""
        return f"{self.failure.data_hash}+{self.rul.data_hash}"

    def save(self, folder: Path) -> None:
        """Write both models under `folder` (the registry's `write_artifact`)."""
        self.failure.save(folder)
        self.rul.save(folder)

    @classmethod
    def load(cls, folder: Path) -> "MaintenanceModels":
        """Read both models, with the registry version when the folder has registry metadata."""
        version = registry.registered_version(folder)
        failure, rul = TruckModel.load(folder, "failure"), TruckModel.load(folder, "rul")
        return cls(failure=failure, rul=rul, registered_version=version)

    def register(self, models_dir: Path) -> ModelMeta:
        """Save both models in the registry under `xgb-failure-risk`."""
        return registry.save(
            models_dir,
            MODEL_NAME,
            self.save,
            data_hash=self.data_hash,
            features=self.failure.features,
            metrics={},
            params={"horizon_days": self.failure.target_days, "rul_cap_days": self.rul.target_days},
            reference=self.failure.reference,
        )


class FailureRisk(BaseModel):
    """One truck's risk of failing within the horizon, its remaining useful life, and why."""

    truck: str
    as_of: datetime
    p_fail: float
    rul_days: float
    horizon_days: int
    drivers: list[Driver]
    evidence: Evidence


def score_trucks(
    models: MaintenanceModels,
    telemetry: pd.DataFrame,
    as_of: datetime,
    top_k: int = 5,
    running_means: pd.DataFrame | None = None,
) -> list[FailureRisk]:
    """Score every truck on its latest reading at or before `as_of`, riskiest first. `telemetry` holds every reading,
    or only each truck's last `WINDOW_DAYS` with `running_means`: its sensors' means over all readings, by truck."""
    history = as_frame(telemetry[telemetry["at"] <= pd.Timestamp(as_of)])
    latest = history.groupby("truck")["at"].idxmax()
    features = truck_features(history)
    if running_means is not None:  # the drift from the whole record's mean, which the window alone does not hold
        for column in SENSORS:
            mean = as_series(history["truck"]).map(as_series(running_means[column]))
            features[f"{column}_drift"] = features[f"{column}_mean{WINDOW_DAYS}"] - mean
    features = features.loc[latest.to_numpy(), models.failure.features]
    p_fail = models.failure.predict(features)
    rul_days = np.clip(models.rul.predict(features), 0.0, models.rul.target_days)
    drivers = top_drivers(models.failure.booster, features, top_k)
    source = Source(tool="maintenance", model=MODEL_NAME, version=models.version)
    day = pd.Timestamp(as_of)
    risks = []
    for row, truck in enumerate(latest.index):
        p, rul, horizon = round(float(p_fail[row]), 4), round(float(rul_days[row]), 1), models.failure.target_days
        facts = {"p_fail": p, "rul_days": rul, "horizon_days": horizon}
        inputs = {"truck": truck, "as_of": day.isoformat(), "reading_at": history.at[latest[truck], "at"].isoformat()}
        evidence = Evidence(
            id=f"failure-risk:{truck}:{day:%Y-%m-%d}", source=source, inputs=inputs, facts=facts, drivers=drivers[row]
        )
        risks.append(
            FailureRisk(
                truck=truck,
                as_of=as_of,
                drivers=drivers[row],
                evidence=evidence,
                p_fail=p,
                rul_days=rul,
                horizon_days=horizon,
            )
        )
    return sorted(risks, key=lambda risk: (-risk.p_fail, risk.truck))
