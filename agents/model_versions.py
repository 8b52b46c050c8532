"""The trained versions of each model and which one is in force: listed, promoted and rolled back by an architect."""

from datetime import datetime
from pathlib import Path

from pydantic import BaseModel
from sqlmodel import Session

from agents.modelbook import MODEL_NAMES, in_force
from tools import registry
from twin import activations


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
