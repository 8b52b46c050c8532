"""The trained models the specialists use: trained on the twin's history, kept in the model registry."""

import logging
import math
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from tools import forecast, late_risk, maintenance, registry
from twin import activations, frames

MODEL_NAMES = (forecast.MODEL_NAME, late_risk.MODEL_NAME, maintenance.MODEL_NAME)
logger = logging.getLogger(__name__)
TWIN_FORECAST = forecast.ForecastConfig(trees=150, max_rows=60_000)  # 300 short series: a lighter model suffices


Folders = dict[str, tuple[registry.ModelMeta, Path]]


class ModelSet:
    """The demand forecaster, the late-delivery risk model and the truck failure/RUL models at fixed versions, each
    read from disk on its first use only: what one decision works with from its start to its end."""

    def __init__(self, models_dir: Path, versions: dict[str, str]) -> None:
        self.models_dir = models_dir
        self._folders: Folders = {  # raises ModelNotFound
            name: registry.resolve(models_dir, name, versions.get(name)) for name in MODEL_NAMES
        }
        self._loaded: dict[str, Any] = {}
        self._lock = threading.Lock()

    @property
    def demand(self) -> forecast.ForecastModel:
        """The demand forecaster."""
        return self._model(forecast.MODEL_NAME, forecast.ForecastModel.load)

    @property
    def late(self) -> late_risk.LateRiskModel:
        """The late-delivery risk model."""
        return self._model(late_risk.MODEL_NAME, late_risk.LateRiskModel.load)

    @property
    def fleet(self) -> maintenance.MaintenanceModels:
        """The truck failure-risk and remaining-useful-life models."""
        return self._model(maintenance.MODEL_NAME, maintenance.MaintenanceModels.load)

    def versions(self) -> dict[str, str]:
        """Model name to version, for audit records."""
        return {name: meta.version for name, (meta, _folder) in self._folders.items()}

    def meta(self, name: str) -> registry.ModelMeta:
        """The registry metadata of the model's version in this set."""
        return self._folders[name][0]

    def pinned(self, versions: dict[str, str] | None = None) -> "ModelSet":
        """This set, or the set at the given versions (those a decision started with, when it resumes)."""
        if versions is None or versions == self.versions():
            return self
        return ModelSet(self.models_dir, versions)

    def _model(self, name: str, load: Callable[[Path], Any]) -> Any:
        """The named model, read from its resolved folder the first time it is asked for."""
        with self._lock:
            if name not in self._loaded:
                self._loaded[name] = load(self._folders[name][1])
            return self._loaded[name]


class ModelBook:
    """The versions in force: those promoted in the database (the newest trained version of a model never promoted),
    re-read when the database's activation stamp changes, checked at most every `refresh_s` seconds, so that a
    promotion or a rollback reaches a running process without a restart. Without a database: the newest versions."""

    def __init__(self, models_dir: Path, engine: Engine | None = None, refresh_s: float = 5.0) -> None:
        self.models_dir = models_dir
        self._engine, self._refresh_s = engine, refresh_s
        self._guard = threading.Lock()
        self._stamp, in_force = self._read()
        self._current = ModelSet(models_dir, in_force)  # raises ModelNotFound
        self._checked = time.monotonic()

    @property
    def demand(self) -> forecast.ForecastModel:
        """The demand forecaster in force."""
        return self.current().demand

    @property
    def late(self) -> late_risk.LateRiskModel:
        """The late-delivery risk model in force."""
        return self.current().late

    @property
    def fleet(self) -> maintenance.MaintenanceModels:
        """The truck failure-risk and remaining-useful-life models in force."""
        return self.current().fleet

    def versions(self) -> dict[str, str]:
        """Model name to the version in force."""
        return self.current().versions()

    def pinned(self, versions: dict[str, str] | None = None) -> ModelSet:
        """The set in force now (or at the given versions), unchanged by later promotions: for one decision."""
        return self.current().pinned(versions)

    def refresh(self) -> None:
        """Look at the versions in force on the next use (this process has just changed them)."""
        with self._guard:
            self._checked = -math.inf

    def current(self) -> ModelSet:
        """The set in force, switched when the activation stamp moved (a set that cannot be read is logged and the
        one in use kept)."""
        with self._guard:
            if self._engine is None or time.monotonic() - self._checked < self._refresh_s:
                return self._current
            self._checked = time.monotonic()
            stamp, in_force = self._read()
            if stamp != self._stamp:
                try:
                    self._current = self._current.pinned(in_force)
                    self._stamp = stamp
                except registry.ModelNotFound as error:
                    logger.error("keeping models %s: %s", self._current.versions(), error)
            return self._current

    def _read(self) -> tuple[int, dict[str, str]]:
        """The activation stamp and the promoted versions (none without a database)."""
        if self._engine is None:
            return 0, {}
        with Session(self._engine) as session:
            return activations.stamp(session), activations.active(session)


Models = ModelBook | ModelSet


def train_all(
    engine: Engine,
    models_dir: Path,
    progress: Callable[[str], None] = lambda _label: None,
    actor: str = "train",
) -> dict[str, str]:
    """Train every model on the twin's history, register it and put it in force (a promotion, audited, that a
    rollback undoes); returns name to version."""
    with Session(engine) as session:
        before = {name: in_force(session, models_dir, name) for name in MODEL_NAMES}
        demand = frames.demand_frame(session)
        shipments = frames.shipment_frame(session)
        telemetry, failures = frames.telemetry_frame(session), frames.failure_frame(session)
    progress("history loaded")
    forecaster = forecast.register(forecast.train_forecaster(demand, config=TWIN_FORECAST), models_dir)
    progress(forecast.MODEL_NAME)
    late = late_risk.train_late_risk(shipments).register(models_dir)
    progress(late_risk.MODEL_NAME)
    fleet = maintenance.MaintenanceModels(
        failure=maintenance.train_failure_risk(telemetry, failures),
        rul=maintenance.train_rul(telemetry, failures),
    ).register(models_dir)
    progress(maintenance.MODEL_NAME)
    if forecaster.version is None:
        raise RuntimeError("the forecaster was trained but not registered")
    versions = {
        forecast.MODEL_NAME: forecaster.version,
        late_risk.MODEL_NAME: late.version,
        maintenance.MODEL_NAME: fleet.version,
    }
    with Session(engine) as session:
        for name, version in versions.items():
            activations.promote(session, name, version, actor, before[name])
        session.commit()
    return versions


def in_force(session: Session, models_dir: Path, name: str) -> str | None:
    """The version of a model decisions use: the last promoted, else the newest trained (None before training)."""
    if promoted := activations.latest(session, name):
        return promoted.version
    trained_versions = registry.list_versions(models_dir, name)
    return trained_versions[-1].version if trained_versions else None


def trained(models_dir: Path) -> bool:
    """Whether every model has a registered version."""
    return all(registry.list_versions(models_dir, name) for name in MODEL_NAMES)


def load_all(models_dir: Path, engine: Engine | None = None, refresh_s: float = 5.0) -> ModelBook:
    """Every model at the version in force in the database (without one: the newest registered), each loaded on first
    use (raises ModelNotFound when one is missing)."""
    return ModelBook(models_dir, engine, refresh_s)
