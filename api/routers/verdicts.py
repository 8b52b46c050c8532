"""People's verdicts on a decision: who approved, rejected or overrode it, when and why, with any edited actions."""

from datetime import datetime
from typing import Any

from fastapi import APIRouter, HTTPException, status
from pydantic import BaseModel, ConfigDict
from sqlmodel import col, select

from api.auth import PrincipalDep
from api.deps import SessionDep
from twin import models as m

router = APIRouter(prefix="/v1/decisions", tags=["decisions"])


class OverrideOut(BaseModel):
    """The actions a person replaced, and the ones they put instead."""

    model_config = ConfigDict(from_attributes=True)

    actor: str
    original_actions: list[dict[str, Any]]
    new_actions: list[dict[str, Any]]
    reason: str
    at: datetime


class VerdictOut(BaseModel):
    """A person's verdict on a decision that waited for approval."""

    model_config = ConfigDict(from_attributes=True)

    actor: str
    verdict: str
    reason: str | None
    at: datetime


class Verdicts(BaseModel):
    """Every verdict and override recorded on one decision, oldest first."""

    decision_id: str
    verdicts: list[VerdictOut]
    overrides: list[OverrideOut]


@router.get("/{decision_id}/verdicts", response_model=Verdicts, responses={404: {"description": "No such decision."}})
def get_verdicts(decision_id: str, session: SessionDep, _principal: PrincipalDep) -> Verdicts:
    """The verdicts (with their reasons) and overrides recorded on a decision."""
    if session.get(m.DecisionRecord, decision_id) is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no decision with id {decision_id!r}")
    verdicts = session.exec(
        select(m.Approval).where(col(m.Approval.decision_id) == decision_id).order_by(col(m.Approval.at))
    ).all()
    overrides = session.exec(
        select(m.Override).where(col(m.Override.decision_id) == decision_id).order_by(col(m.Override.at))
    ).all()
    return Verdicts(
        decision_id=decision_id,
        verdicts=[VerdictOut.model_validate(v) for v in verdicts],
        overrides=[OverrideOut.model_validate(o) for o in overrides],
    )
