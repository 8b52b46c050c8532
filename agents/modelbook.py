"""The trained models the specialists use: trained on the twin's history, kept in the model registry."""

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from tools import forecast, late_risk, maintenance, registry
from twin import frames

MODEL_NAMES = (forecast.MODEL_NAME, late_risk.MODEL_NAME, maintenance.MODEL_NAME)
TWIN_FORECAST = forecast.ForecastConfig(trees=150, max_rows=60_000)  # 300 short series: a lighter model suffices


class ModelBook:
    """The demand forecaster, the late-delivery risk model and the truck failure/RUL models: the latest registered
    versions when the book is opened, each read from disk on its first use only."""

    def __init__(self, models_dir: Path) -> None:
        self._folders = {name: registry.resolve(models_dir, name) for name in MODEL_NAMES}  # raises ModelNotFound
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

    def _model(self, name: str, load: Callable[[Path], Any]) -> Any:
        """The named model, read from its resolved folder the first time it is asked for."""
        with self._lock:
            if name not in self._loaded:
                self._loaded[name] = load(self._folders[name][1])
            return self._loaded[name]


def train_all(
    engine: Engine, models_dir: Path, progress: Callable[[str], None] = lambda _label: None
) -> dict[str, str]:
    """Train every model on the twin's history and register it; returns name to version."""
    with Session(engine) as session:
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
    return {
        forecast.MODEL_NAME: forecaster.version,
        late_risk.MODEL_NAME: late.version,
        maintenance.MODEL_NAME: fleet.version,
    }


def trained(models_dir: Path) -> bool:
    """Whether every model has a registered version."""
    return all(registry.list_versions(models_dir, name) for name in MODEL_NAMES)


def load_all(models_dir: Path) -> ModelBook:
    """The latest registered version of every model, each loaded on first use (raises ModelNotFound when one is
    missing)."""
    return ModelBook(models_dir)
