"""Trained models: their versions and the one in force, read by anyone; promoted and rolled back by architects."""

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from agents import model_versions
from agents.model_drift import NoReference, model_drift
from agents.model_versions import ModelEntry, ModelMonitoring, UnknownModel, UnknownVersion, VersionChange
from agents.modelbook import MODEL_NAMES
from api.auth import ArchitectDep, PrincipalDep
from api.deps import DeskDep, SessionDep
from tools.drift import DriftReport
from twin import store
from twin.activations import NoPreviousVersion

router = APIRouter(prefix="/v1/models", tags=["models"])
UNKNOWN: dict[int | str, dict[str, Any]] = {404: {"description": "Unknown model."}}


class PromotionIn(BaseModel):
    """The trained version to put in force."""

    version: str = Field(min_length=1, max_length=64, examples=["3f2a9c81d0b4"])


@router.get("", response_model=list[ModelEntry])
def list_models(request: Request, session: SessionDep, _principal: PrincipalDep) -> list[ModelEntry]:
    """Every model with each trained version (training date, metrics at training) and the one decisions use."""
    return model_versions.catalogue(session, request.app.state.settings.models_dir)


@router.get("/{name}", response_model=ModelEntry, responses=UNKNOWN)
def get_model(name: str, request: Request, session: SessionDep, _principal: PrincipalDep) -> ModelEntry:
    """One model with each trained version and the one decisions use."""
    try:
        return model_versions.entry(session, request.app.state.settings.models_dir, name)
    except UnknownModel as error:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(error)) from error


@router.get("/{name}/metrics", response_model=ModelMonitoring, responses=UNKNOWN)
def get_metrics(name: str, request: Request, session: SessionDep, _principal: PrincipalDep) -> ModelMonitoring:
    """The model's monitoring history kept by the detector pass: PSI per watched feature and performance on the
    outcomes known (ROC-AUC and calibration error, or WMAPE and 80% interval coverage) per twin day, the limits each
    crossed, and the retraining recommended."""
    try:
        return model_versions.monitoring_history(session, request.app.state.settings.models_dir, name)
    except UnknownModel as error:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(error)) from error


@router.get(
    "/{name}/drift",
    response_model=DriftReport,
    responses={**UNKNOWN, 409: {"description": "No reference bins were kept when this version was trained."}},
)
def get_drift(name: str, desk: DeskDep, session: SessionDep, _principal: PrincipalDep) -> DriftReport:
    """Population drift of the version in force: PSI of each feature between training and the last
    `drift_window_days` of scoring, and the features past `drift_psi_threshold`."""
    settings = desk.settings
    if name not in MODEL_NAMES:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"unknown model {name!r}; known: {', '.join(MODEL_NAMES)}")
    now = store.as_of(session) or datetime.now(UTC)
    models = desk.toolbox.models.pinned()
    try:
        return model_drift(session, models, name, now, settings.drift_window_days, settings.drift_psi_threshold)
    except NoReference as error:
        raise HTTPException(status.HTTP_409_CONFLICT, str(error)) from error


@router.post(
    "/{name}/promote",
    response_model=VersionChange,
    responses={
        **UNKNOWN,
        409: {"description": "Changed at the same time by another."},
        422: {"description": "No such trained version."},
    },
)
def promote(
    name: str, body: PromotionIn, request: Request, session: SessionDep, principal: ArchitectDep
) -> VersionChange:
    """Put a trained version in force: new decisions in every process use it within seconds, decisions under way
    keep theirs. Audited with who, the model, from and to."""
    models_dir = request.app.state.settings.models_dir
    return _changed(
        request, session, lambda: model_versions.promote(session, models_dir, name, body.version, principal.name)
    )


@router.post(
    "/{name}/rollback",
    response_model=VersionChange,
    responses={**UNKNOWN, 409: {"description": "No previously active version, or changed at the same time."}},
)
def rollback(name: str, request: Request, session: SessionDep, principal: ArchitectDep) -> VersionChange:
    """Put back the version in force before the current one; audited like a promotion."""
    models_dir = request.app.state.settings.models_dir
    return _changed(request, session, lambda: model_versions.rollback(session, models_dir, name, principal.name))


def _changed(request: Request, session: Session, change: Callable[[], VersionChange]) -> VersionChange:
    """Make and commit a change of the version in force, and have this process's desk use it from its next decision
    (other processes see it within `model_refresh_s`); bad input and conflicts as 404, 409 and 422."""
    try:
        made = change()
        session.commit()
    except UnknownModel as error:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(error)) from error
    except UnknownVersion as error:
        raise RequestValidationError(
            [{"type": "value_error", "loc": ("body", "version"), "input": error.version, "msg": str(error)}]
        ) from error
    except NoPreviousVersion as error:
        raise HTTPException(status.HTTP_409_CONFLICT, str(error)) from error
    except IntegrityError as error:
        session.rollback()
        raise HTTPException(
            status.HTTP_409_CONFLICT, "the model was changed at the same time; read it and retry"
        ) from error
    if request.app.state.desk is not None:
        request.app.state.desk.toolbox.models.refresh()
    return made
