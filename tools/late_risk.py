"""Late-delivery risk: a calibrated XGBoost P(late) per shipment with its drivers, and a historical-rate baseline."""

import hashlib
import json
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import xgboost as xgb
from pydantic import BaseModel, ConfigDict, Field
from scipy.special import expit, logit

from tools import registry
from tools.boosting import BoosterParams
from tools.drift import FeatureBins, reference_bins
from tools.evidence import Driver, Evidence, Source
from tools.explain_xgb import top_drivers
from tools.registry import ModelMeta, frame_hash
from twin.typed_pandas import as_frame, as_series

MODEL_NAME = "xgb-late-risk"
OWN_FLEET = "OWN-FLEET"
EPSILON = 1e-6
CATEGORICAL = ["lane", "origin", "dest_region", "carrier"]
RECORDED = [
    "distance_miles",
    "units",
    "weight_kg",
    "planned_transit_hours",
    "slack_hours",
    "scan_delay_minutes",
    "weather",
    "congestion",
]
DERIVED = ["slack_left_hours", "ship_dow", "ship_hour"]
FEATURES = [*CATEGORICAL, *RECORDED, *DERIVED]
# watched for drift: what a shipment is when it ships; its scans, weather and calendar move with its trip and the
# season by design
WATCHED = ["distance_miles", "units", "weight_kg", "planned_transit_hours", "slack_hours"]


def late_risk_features(frame: pd.DataFrame, categories: dict[str, list[str]] | None = None) -> pd.DataFrame:
    """Model inputs of `shipment_frame` rows; categories unseen in training become missing."""
    shipped = frame["shipped_at"]
    features = pd.DataFrame(
        {
            **{column: frame[column].astype(str) for column in CATEGORICAL if column != "carrier"},
            "carrier": carrier_of(frame),
            **{column: frame[column].astype(float) for column in RECORDED},
            "slack_left_hours": frame["slack_hours"] - frame["scan_delay_minutes"] / 60,
            "ship_dow": shipped.dt.day_of_week.astype(float),
            "ship_hour": (shipped.dt.hour + shipped.dt.minute / 60).astype(float),
        },
        index=frame.index,
    )
    for column in CATEGORICAL:
        known = categories[column] if categories else sorted(features[column].unique())
        features[column] = pd.Categorical(features[column].where(features[column].isin(known)), categories=known)
    return as_frame(features[FEATURES])


def carrier_of(frame: pd.DataFrame) -> pd.Series:
    """Each shipment's carrier code, or OWN-FLEET for own trucks."""
    carrier = as_series(frame["carrier"])
    return carrier.astype(object).where(carrier.notna(), OWN_FLEET).astype(str)


def closed(frame: pd.DataFrame) -> pd.DataFrame:
    """The delivered shipments (known outcome), oldest first."""
    return as_frame(frame[frame["late"].notna()]).sort_values(["shipped_at", "shipment_id"])


class LateRiskParams(BoosterParams):
    """XGBoost settings and the share of the latest history held out to calibrate."""

    min_child_weight: float = 5.0
    max_cat_to_onehot: int = 8
    calibration_share: float = Field(default=0.2, gt=0, lt=1)


class Calibration(BaseModel):
    """Platt scaling of the classifier's log-odds: P(late) = sigmoid(slope * logit(raw) + intercept), slope >= 0."""

    slope: float = Field(default=1.0, ge=0)
    intercept: float = 0.0

    def apply(self, raw: np.ndarray) -> np.ndarray:
        """Calibrated probabilities of raw classifier scores."""
        return expit(self.slope * logit(np.clip(raw, EPSILON, 1 - EPSILON)) + self.intercept)


def fit_calibration(raw: np.ndarray, label: np.ndarray) -> Calibration:
    """Platt scaling fitted on a held-out slice; the identity when the slice has one outcome or no signal."""
    from sklearn.linear_model import LogisticRegression  # the training library, loaded only to fit

    if len(np.unique(label)) == 2:
        fit = LogisticRegression(C=1e4).fit(logit(np.clip(raw, EPSILON, 1 - EPSILON))[:, None], label)
        if fit.coef_[0, 0] > 0:
            return Calibration(slope=float(fit.coef_[0, 0]), intercept=float(fit.intercept_[0]))
    return Calibration()


class LateRiskModel(BaseModel):
    """A trained late-risk classifier with its calibration, category levels and training fingerprint."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    booster: xgb.Booster
    categories: dict[str, list[str]]
    calibration: Calibration
    params: LateRiskParams
    data_hash: str
    metrics: dict[str, float] = Field(default_factory=dict)
    reference: dict[str, FeatureBins] = Field(default_factory=dict)  # training distribution, kept in the registry
    registered_version: str | None = None

    @property
    def version(self) -> str:
        """The registry version once registered; before that, a fingerprint of training data and settings."""
        fingerprint = hashlib.sha256(f"{self.data_hash}{self.params.model_dump_json()}".encode()).hexdigest()
        return self.registered_version or fingerprint[:12]

    def save(self, folder: Path) -> None:
        """Write the booster and its settings under `folder` (the registry's `write_artifact`)."""
        self.booster.save_model(folder / "late_risk.ubj")
        spec = self.model_dump_json(exclude={"booster", "registered_version", "reference"}, indent=2)
        (folder / "late_risk.json").write_text(spec)

    @classmethod
    def load(cls, folder: Path) -> "LateRiskModel":
        """Read a model written by `save`, with the registry version when the folder has registry metadata."""
        booster = xgb.Booster(model_file=folder / "late_risk.ubj", params={"nthread": 1})  # one thread per request
        version = registry.registered_version(folder)
        spec = json.loads((folder / "late_risk.json").read_text())
        return cls.model_validate({**spec, "booster": booster, "registered_version": version})

    def register(self, models_dir: Path) -> ModelMeta:
        """Save the model in the registry under `xgb-late-risk`."""
        return registry.save(
            models_dir,
            MODEL_NAME,
            self.save,
            data_hash=self.data_hash,
            features=FEATURES,
            metrics=self.metrics,
            params=self.params.model_dump(),
            reference=self.reference,
        )

    def raw_scores(self, features: pd.DataFrame) -> np.ndarray:
        """Uncalibrated classifier scores of model inputs."""
        return self.booster.predict(xgb.DMatrix(features, enable_categorical=True, nthread=1))

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        """Calibrated P(late) of `shipment_frame` rows."""
        return self.calibration.apply(self.raw_scores(late_risk_features(frame, self.categories)))


def train_late_risk(frame: pd.DataFrame, params: LateRiskParams | None = None) -> LateRiskModel:
    """Fit on the delivered shipments; calibrate on the latest `calibration_share` of them (a held-out time slice)."""
    from sklearn.metrics import roc_auc_score  # the training library, loaded only to fit

    params = params or LateRiskParams()
    history = closed(frame)
    features, label = late_risk_features(history), history["late"].astype(int).to_numpy()
    cut = int(len(history) * (1 - params.calibration_share))
    classifier = xgb.XGBClassifier(
        **params.model_dump(exclude={"calibration_share", "seed"}),
        random_state=params.seed,
        tree_method="hist",
        enable_categorical=True,
    ).fit(features.iloc[:cut], label[:cut])
    held_out = classifier.predict_proba(features.iloc[cut:])[:, 1]
    calibration = fit_calibration(held_out, label[cut:])
    metrics = {"holdout_roc_auc": float(roc_auc_score(label[cut:], held_out))} if len(set(label[cut:])) == 2 else {}
    return LateRiskModel(
        booster=classifier.get_booster(),
        categories={column: list(features[column].cat.categories) for column in CATEGORICAL},
        calibration=calibration,
        params=params,
        data_hash=frame_hash(features.assign(late=label)),
        metrics=metrics,
        reference=reference_bins(features.loc[:, WATCHED]),
    )


class LateRisk(BaseModel):
    """One shipment's probability of arriving after its promise, and why."""

    shipment_id: str
    p_late: float
    drivers: list[Driver]
    evidence: Evidence


OVERDUE_RULE = Source(tool="late_risk", model="rule:overdue", version="1")


def overdue(frame: pd.DataFrame, now: datetime | None) -> pd.Series:
    """Shipments past their promised time and not delivered at `now`: late for certain, whatever a model says."""
    if now is None:
        return pd.Series(False, index=frame.index)
    return as_series((frame["promised_at"] < pd.Timestamp(now)) & (frame["status"] != "delivered"))


def score_shipments(
    model: LateRiskModel, frame: pd.DataFrame, top_k: int = 5, now: datetime | None = None
) -> list[LateRisk]:
    """P(late) of every shipment row, with the top drivers (log-odds contributions) and evidence; a shipment already
    overdue at `now` is late with probability 1 by rule, not by the model."""
    features = late_risk_features(frame, model.categories)
    p_late = model.calibration.apply(model.raw_scores(features))
    drivers = top_drivers(model.booster, features, top_k)
    source = Source(tool="late_risk", model=MODEL_NAME, version=model.version)
    risks = []
    carriers = carrier_of(frame)
    late_now = overdue(frame, now).to_numpy()
    for row, shipment_id in enumerate(frame["shipment_id"]):
        probability = 1.0 if late_now[row] else round(float(p_late[row]), 4)
        shipment = {"shipment_id": shipment_id, "lane": frame["lane"].iat[row], "carrier": carriers.iat[row]}
        facts: dict[str, float | str] = {"p_late": probability}
        if late_now[row]:
            facts.update(
                rule="past its promised time and not delivered: late",
                model_p_late=round(float(p_late[row]), 4),
                promised_at=frame["promised_at"].iat[row].isoformat(),
                now=pd.Timestamp(now).isoformat(),
            )
        evidence = Evidence(
            id=f"late-risk:{shipment_id}",
            source=OVERDUE_RULE if late_now[row] else source,
            inputs={**shipment, **{d.feature: d.value for d in drivers[row]}},
            facts=facts,
            drivers=drivers[row],
        )
        risks.append(LateRisk(shipment_id=shipment_id, p_late=probability, drivers=drivers[row], evidence=evidence))
    return risks


class HistoricalRateBaseline(BaseModel):
    """Late rate per carrier and lane, shrunk towards the lane's rate, then the overall rate, when history is thin."""

    carrier_lane: dict[str, float]
    lane: dict[str, float]
    overall: float

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        """The historical late rate of each shipment's carrier and lane."""
        lane = as_series(frame["lane"]).map(self.lane).fillna(self.overall)
        return _key(frame).map(self.carrier_lane).fillna(lane).to_numpy(float)


def _key(frame: pd.DataFrame) -> pd.Series:
    """The carrier-and-lane key of each row (own fleet named as such)."""
    return carrier_of(frame) + "|" + frame["lane"]


def historical_rate_baseline(frame: pd.DataFrame, prior_shipments: float = 20.0) -> HistoricalRateBaseline:
    """Fit the carrier-and-lane late rate on delivered shipments, with `prior_shipments` of shrinkage."""
    history = closed(frame)
    late = as_series(history["late"]).astype(float)
    overall = float(late.mean())
    lanes = as_frame(late.groupby(history["lane"]).agg(["sum", "count"]))
    lane_rate = as_series((lanes["sum"] + prior_shipments * overall) / (lanes["count"] + prior_shipments))
    pairs = as_frame(late.groupby([_key(history), history["lane"]]).agg(["sum", "count"]).reset_index(level=1))
    pair_rate = as_series(
        (pairs["sum"] + prior_shipments * as_series(pairs["lane"]).map(lane_rate)) / (pairs["count"] + prior_shipments)
    )
    return HistoricalRateBaseline(carrier_lane=pair_rate.to_dict(), lane=lane_rate.to_dict(), overall=overall)
