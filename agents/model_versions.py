"""The trained versions of each model and which one is in force: listed, promoted and rolled back by an architect."""

from datetime import date, datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field
from sqlmodel import Session, col, select

from agents.modelbook import MODEL_NAMES, in_force
from tools import registry
from twin import activations, monitoring
from twin import models as m


class UnknownModel(LookupError):
    """No model of this name is trained."""


class UnknownVersion(LookupError):
    """The model has no trained version of this id."""

    def __init__(self, name: str, version: str) -> None:
        self.version = version
        super().__init__(f"model {name} has no trained version {version!r}")


class ModelVersion(BaseModel):
    """One trained version: when it was trained, how it scored then, and whether decisions use it."""

    version: str
    trained_at: datetime
    metrics: dict[str, float]
    active: bool


class ModelEntry(BaseModel):
    """A model with every trained version, oldest first, and the one in force."""

    name: str
    active_version: str | None
    versions: list[ModelVersion]


class VersionChange(BaseModel):
    """A promotion or rollback: who put which version of a model in force instead of which."""

    name: str
    kind: str
    from_version: str | None
    to_version: str
    actor: str
    at: datetime


def catalogue(session: Session, models_dir: Path) -> list[ModelEntry]:
    """Every model with its trained versions and the one in force."""
    return [entry(session, models_dir, name) for name in MODEL_NAMES]


def entry(session: Session, models_dir: Path, name: str) -> ModelEntry:
    """One model with its trained versions and the one in force (UnknownModel for a name that is not a model)."""
    if name not in MODEL_NAMES:
        raise UnknownModel(f"unknown model {name!r}; known: {', '.join(MODEL_NAMES)}")
    active = in_force(session, models_dir, name)
    metas = registry.list_versions(models_dir, name)
    return ModelEntry(
        name=name,
        active_version=active,
        versions=[
            ModelVersion(
                version=meta.version, trained_at=meta.created_at, metrics=meta.metrics, active=meta.version == active
            )
            for meta in metas
        ],
    )


def promote(session: Session, models_dir: Path, name: str, version: str, actor: str) -> VersionChange:
    """Put a trained version of a model in force (UnknownModel, UnknownVersion when there is no such thing)."""
    current = entry(session, models_dir, name)
    if version not in {trained.version for trained in current.versions}:
        raise UnknownVersion(name, version)
    row = activations.promote(session, name, version, actor, current.active_version)
    return VersionChange(
        name=name, kind="promote", from_version=current.active_version, to_version=version, actor=actor, at=row.at
    )


def rollback(session: Session, models_dir: Path, name: str, actor: str) -> VersionChange:
    """Put back the version in force before the current one (NoPreviousVersion when there is none)."""
    current = entry(session, models_dir, name)
    row = activations.rollback(session, name, actor)
    return VersionChange(
        name=name, kind="rollback", from_version=current.active_version, to_version=row.version, actor=actor, at=row.at
    )


class MonitorRun(BaseModel):
    """One kept measurement of a model version: drift (PSI per watched feature) or performance on known outcomes."""

    version: str
    kind: Literal["drift", "performance"]
    day: date
    measured_at: datetime
    window_start: datetime
    window_end: datetime
    rows: int
    metrics: dict[str, float]
    breaches: list[str] = Field(description="Drifted features, or the performance limits crossed")


class RetrainingRecommendation(BaseModel):
    """An executed recommendation to retrain a model version, with its reasons."""

    version: str
    reasons: list[str]
    at: datetime
    decision_id: str | None


class ModelMonitoring(BaseModel):
    """A model's versions in force now and before, its drift and performance history, and retraining recommended."""

    name: str
    active_version: str | None
    previous_version: str | None
    drift: list[MonitorRun]
    performance: list[MonitorRun]
    retraining: list[RetrainingRecommendation]


def monitoring_history(session: Session, models_dir: Path, name: str, limit: int = 365) -> ModelMonitoring:
    """A model's monitoring history, oldest first (UnknownModel for a name that is not a model)."""
    current = entry(session, models_dir, name)
    last = activations.latest(session, name)
    runs = [
        MonitorRun.model_validate(run, from_attributes=True) for run in monitoring.history(session, name, None, limit)
    ]
    recommended = session.exec(
        select(m.AuditEvent)
        .where(col(m.AuditEvent.kind) == "model_retraining_recommended")
        .order_by(col(m.AuditEvent.at))
    ).all()
    return ModelMonitoring(
        name=name,
        active_version=current.active_version,
        previous_version=last.previous if last else None,
        drift=[run for run in runs if run.kind == "drift"],
        performance=[run for run in runs if run.kind == "performance"],
        retraining=[
            RetrainingRecommendation(
                version=str(event.detail.get("version")),
                reasons=list(event.detail.get("reasons") or []),
                at=event.at,
                decision_id=event.detail.get("decision_id"),
            )
            for event in recommended
            if event.detail.get("model") == name
        ],
    )
