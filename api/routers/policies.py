"""Policies: the autonomy of each action type, read by anyone and edited by architects."""

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, status
from fastapi.exceptions import RequestValidationError
from sqlmodel import Session, col, select

from agents.policy import PolicyRule
from api.auth import ArchitectDep, PrincipalDep
from api.deps import SessionDep
from api.schemas import Code, PolicyIn, PolicyOut
from twin import access
from twin import models as m
from twin.actions import ACTION_TYPES

router = APIRouter(prefix="/v1/policies", tags=["policies"])


@router.get("", response_model=list[PolicyOut])
def list_policies(session: SessionDep, _principal: PrincipalDep) -> list[PolicyOut]:
    """Every stored rule, by action type and scope."""
    rows = session.exec(select(m.Policy).order_by(col(m.Policy.action_type), col(m.Policy.scope))).all()
    return [PolicyOut.model_validate(row) for row in rows]


def _scope(session: Session, query: str | None, body: str | None) -> str:
    """The rule's scope (`*` by default): the same in query and body when both are sent, and known to the twin."""
    if query and body and query != body:
        raise RequestValidationError(
            [
                {
                    "type": "value_error",
                    "loc": ("query", "scope"),
                    "input": query,
                    "msg": f"scope {query!r} in the query differs from {body!r} in the body",
                }
            ]
        )
    scope = query or body or "*"
    location = session.get(m.Location, scope)
    if scope != "*" and session.get(m.Lane, scope) is None and not (location and location.kind == "dc"):
        raise RequestValidationError(
            [
                {
                    "type": "value_error",
                    "loc": ("query" if query else "body", "scope"),
                    "input": scope,
                    "msg": f"scope {scope!r} is not `*`, a DC or a lane of the twin",
                }
            ]
        )
    return scope


@router.put(
    "/{action_type}",
    response_model=PolicyOut,
    responses={404: {"description": "Unknown action type."}, 422: {"description": "Bad bounds or an unknown scope."}},
)
def put_policy(
    action_type: str,
    policy: PolicyIn,
    session: SessionDep,
    principal: ArchitectDep,
    scope: Annotated[
        Code | None, Query(description="`*` (default), a DC such as DC-DAL, or a lane such as DAL-HOU.")
    ] = None,
) -> PolicyOut:
    """Set the autonomy of an action type in a scope; the change is audited with the rule before and after."""
    if action_type not in ACTION_TYPES:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, f"unknown action type {action_type!r}; known: {', '.join(sorted(ACTION_TYPES))}"
        )
    rule = PolicyRule(
        action_type=action_type, scope=_scope(session, scope, policy.scope), **policy.model_dump(exclude={"scope"})
    )
    row = session.exec(
        select(m.Policy).where(col(m.Policy.action_type) == action_type, col(m.Policy.scope) == rule.scope)
    ).first()
    before = PolicyRule.model_validate(row, from_attributes=True).model_dump() if row else None
    row = row or m.Policy(action_type=action_type, scope=rule.scope, updated_at=datetime.now(UTC))
    row.sqlmodel_update({**rule.model_dump(), "updated_by": principal.name, "updated_at": datetime.now(UTC)})
    session.add(row)
    access.audit(
        session,
        principal.name,
        "policy_updated",
        action_type=action_type,
        scope=rule.scope,
        before=before,
        after=rule.model_dump(),
    )
    session.flush()
    return PolicyOut.model_validate(row)
