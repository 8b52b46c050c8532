"""The trained models the specialists use: trained on the twin's history, kept in the model registry."""

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session

from tools import forecast, late_risk, maintenance, registry
from twin import frames

MODEL_NAMES = (forecast.MODEL_NAME, late_risk.MODEL_NAME, maintenance.MODEL_NAME)
TWIN_FORECAST = forecast.ForecastConfig(trees=150, max_rows=60_000)  # 300 short series: a lighter model suffices


@dataclass(frozen=True)
class ModelBook:
    """The demand forecaster, the late-delivery risk model and the truck failure/RUL models."""

    demand: forecast.ForecastModel
    late: late_risk.LateRiskModel
    fleet: maintenance.MaintenanceModels

    def versions(self) -> dict[str, str]:
        """Model name to version, for audit records."""
        return {
            forecast.MODEL_NAME: self.demand.version,
            late_risk.MODEL_NAME: self.late.version,
            maintenance.MODEL_NAME: self.fleet.version,
        }


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
    return {
        forecast.MODEL_NAME: forecaster.version,
        late_risk.MODEL_NAME: late.version,
        maintenance.MODEL_NAME: fleet.version,
    }


def trained(models_dir: Path) -> bool:
    """Whether every model has a registered version."""
    return all(registry.list_versions(models_dir, name) for name in MODEL_NAMES)


def load_all(models_dir: Path) -> ModelBook:
    """The latest registered version of every model (raises ModelNotFound when one is missing)."""
    _, late_folder = registry.resolve(models_dir, late_risk.MODEL_NAME)
    _, fleet_folder = registry.resolve(models_dir, maintenance.MODEL_NAME)
    return ModelBook(
        demand=forecast.load_registered(models_dir),
        late=late_risk.LateRiskModel.load(late_folder),
        fleet=maintenance.MaintenanceModels.load(fleet_folder),
    )
