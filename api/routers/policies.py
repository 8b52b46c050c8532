"""Policies: the autonomy of each action type per cohort, read by anyone and edited by architects; suggested changes
mined from people's verdicts, accepted or declined by architects."""

from fnmatch import fnmatchcase
from typing import Annotated, Literal, NoReturn

from fastapi import APIRouter, HTTPException, Query, Request, status
from fastapi.exceptions import RequestValidationError
from sqlmodel import Session, col, select

from agents.autonomy import Recommendation, eval_report, recommendations
from agents.policy import CohortPattern, PolicyRule, change_rule
from agents.policy_learning import LearningSettings, Suggestion, UnknownSuggestion, answer, open_suggestions
from api.auth import ArchitectDep, PrincipalDep
from api.deps import SessionDep
from api.schemas import PolicyIn, PolicyOut
from twin import models as m
from twin.actions import ACTION_TYPES

router = APIRouter(prefix="/v1/policies", tags=["policies"])


@router.get("", response_model=list[PolicyOut])
def list_policies(session: SessionDep, _principal: PrincipalDep) -> list[PolicyOut]:
    """Every stored rule, by action type and cohort."""
    rows = session.exec(select(m.Policy).order_by(col(m.Policy.action_type), col(m.Policy.cohort))).all()
    return [PolicyOut.model_validate(row) for row in rows]


def _known_codes(session: Session) -> list[str]:
    """The lanes, DCs and carriers of the twin: what a cohort pattern may match."""
    lanes = session.exec(select(m.Lane.code)).all()
    dcs = session.exec(select(m.Location.code).where(col(m.Location.kind) == "dc")).all()
    carriers = session.exec(select(m.Carrier.code)).all()
    return [*lanes, *dcs, *carriers]


def _cohort(session: Session, query: str | None, body: str | None) -> str:
    """The rule's cohort (`*` by default): the same in query and body when both are sent, and matching at least one
    lane, DC or carrier of the twin."""
    where = "query" if query else "body"
    if query and body and query != body:
        _refuse(where, query, f"cohort {query!r} in the query differs from {body!r} in the body")
    cohort = query or body or "*"
    if cohort != "*" and not any(fnmatchcase(code, cohort) for code in _known_codes(session)):
        _refuse(where, cohort, f"cohort {cohort!r} matches no lane, DC or carrier of the twin")
    return cohort


def _refuse(where: str, value: str, message: str) -> NoReturn:
    """Answer 422 naming the cohort field."""
    raise RequestValidationError([{"type": "value_error", "loc": (where, "cohort"), "input": value, "msg": message}])


@router.put(
    "/{action_type}",
    response_model=PolicyOut,
    responses={
        404: {"description": "Unknown action type."},
        422: {"description": "Bad bounds, an unknown level, or a bad or unknown cohort."},
    },
)
def put_policy(
    action_type: str,
    policy: PolicyIn,
    session: SessionDep,
    principal: ArchitectDep,
    cohort: Annotated[
        CohortPattern | None,
        Query(description="`*` (default), or a lane, site or carrier pattern: DAL-HOU, DAL-*, DC-ATL, CAR-*."),
    ] = None,
) -> PolicyOut:
    """Set the level and autonomy of an action type in a cohort; the change is audited with the rule before and
    after."""
    if action_type not in ACTION_TYPES:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, f"unknown action type {action_type!r}; known: {', '.join(sorted(ACTION_TYPES))}"
        )
    rule = PolicyRule.model_validate(
        {
            **policy.model_dump(exclude={"cohort"}),
            "action_type": action_type,
            "cohort": _cohort(session, cohort, policy.cohort),
        }
    )
    row = change_rule(session, rule, principal.name)
    return PolicyOut.model_validate(row)


def _limits(request: Request) -> LearningSettings:
    """The mining thresholds of the app's settings."""
    return LearningSettings.of(request.app.state.settings)


@router.get("/recommendations", response_model=list[Recommendation])
def list_recommendations(request: Request, session: SessionDep, _principal: PrincipalDep) -> list[Recommendation]:
    """For each action type and cohort, the level its measured quality supports beside the configured one, with the
    reasons: people's verdicts and the outcomes of executed decisions in the window, the latest performance of the
    model it rests on, and the eval report's gated checks."""
    settings = request.app.state.settings
    return recommendations(session, _limits(request), eval_report(settings))


@router.get("/suggestions", response_model=list[Suggestion])
def list_suggestions(request: Request, session: SessionDep, _principal: PrincipalDep) -> list[Suggestion]:
    """Policy changes that people's rejections, overrides and approvals support over the window (on the twin's
    clock), each with its evidence; answered ones are left out."""
    return open_suggestions(session, _limits(request))


@router.post(
    "/suggestions/{suggestion_id}/{verdict}",
    response_model=Suggestion,
    responses={404: {"description": "No open suggestion with this id."}},
)
def answer_suggestion(
    suggestion_id: str,
    verdict: Literal["accept", "decline"],
    request: Request,
    session: SessionDep,
    principal: ArchitectDep,
) -> Suggestion:
    """Accept (the proposed rule is stored, audited before and after) or decline a suggestion; either is audited."""
    try:
        return answer(
            session, suggestion_id, "accepted" if verdict == "accept" else "declined", principal.name, _limits(request)
        )
    except UnknownSuggestion as error:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no open suggestion with id {suggestion_id!r}") from error
