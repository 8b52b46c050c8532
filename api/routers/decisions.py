"""Decisions: list and read them, and approve, reject or override one that waits for a person."""

from collections.abc import Iterable
from typing import Annotated, Any

from fastapi import APIRouter, Body, HTTPException, Query, status
from fastapi.exceptions import RequestValidationError
from sqlmodel import Session, col, select

from agents.schemas import Decision, DecisionStatus, Specialist
from api.auth import DeciderDep, Principal, PrincipalDep, allow
from api.deps import DeskDep, SessionDep
from api.metrics import Metrics, MetricsDep
from api.paging import Cursor, Keyset, Limit, Offset, Page, paginate
from api.schemas import Action, DecisionDetail, DecisionSummary, Reason
from graph.desk import DecisionConflict, DecisionNotFound, Desk, OffSubject
from graph.state import Verdict
from twin import models as m
from twin import store
from twin.actions import AnyAction, entity_codes
from twin.roles import deciders

router = APIRouter(prefix="/v1/decisions", tags=["decisions"])

VERDICT_RESPONSES: dict[int | str, dict[str, Any]] = {
    403: {"description": "The key's role may not decide this decision (one that governs a model needs an architect)."},
    404: {"description": "No such decision."},
    409: {"description": "The decision is not waiting for approval (already acted on, or never paused)."},
    422: {"description": "An edited action names a shipment, truck or SKU outside the decision's subject and plan."},
    503: {"description": "No trained models yet."},
}
NEWEST_DECISIONS = Keyset((col(m.DecisionRecord.created_at), col(m.DecisionRecord.id)), descending=True)


def _summary(record: m.DecisionRecord) -> DecisionSummary:
    """A stored decision as a listing item."""
    decision = Decision.of(record)
    return DecisionSummary(
        decision_id=record.id,
        exception_id=record.exception_id,
        specialist=decision.specialist,
        status=decision.status,
        confidence=record.confidence,
        actions=decision.actions,
        cost_usd=decision.expected_impact.cost_usd,
        policy=decision.policy,
        created_at=record.created_at,
        updated_at=record.updated_at,
    )


@router.get("", response_model=Page[DecisionSummary])
def list_decisions(
    session: SessionDep,
    _principal: PrincipalDep,
    decision_status: Annotated[DecisionStatus | None, Query(alias="status")] = None,
    specialist: Specialist | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
    cursor: Cursor = None,
) -> Page[DecisionSummary]:
    """Decisions, newest first, optionally of one status (e.g. `pending_approval`) and specialist."""
    statement = select(m.DecisionRecord).order_by(*NEWEST_DECISIONS.order())
    if decision_status:
        statement = statement.where(col(m.DecisionRecord.status) == decision_status)
    if specialist:
        statement = statement.where(col(m.DecisionRecord.specialist) == specialist)
    return paginate(session, statement, limit, offset, lambda row: _summary(row[0]), NEWEST_DECISIONS, cursor)


@router.get("/{decision_id}", response_model=DecisionDetail, responses={404: {"description": "No such decision."}})
def get_decision(decision_id: str, session: SessionDep, _principal: PrincipalDep) -> DecisionDetail:
    """The full decision: actions, impact, alternatives, evidence, justification, policy verdict and trace id, and the
    roles that may decide it."""
    record = session.get(m.DecisionRecord, decision_id)
    if record is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no decision with id {decision_id!r}")
    return DecisionDetail.of_decision(Decision.of(record))


def _may_decide(session: Session, principal: Principal, decision_id: str, edited: Iterable[AnyAction] = ()) -> None:
    """404 for an unknown decision; 403 naming the roles that may decide it (with any edited actions) otherwise."""
    record = session.get(m.DecisionRecord, decision_id)
    if record is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no decision with id {decision_id!r}")
    types = sorted({action.type for action in [*Decision.of(record).actions, *edited]})
    session.commit()  # the read's connection goes back to the pool while the desk resumes the decision
    allow(principal, deciders(types), f"deciding {decision_id} ({', '.join(types) or 'no actions'})")


def _resume(desk: Desk, metrics: Metrics, decision_id: str, verdict: Verdict) -> Decision:
    """Resume the paused decision with a verdict: 404 when unknown, 409 when it is not waiting."""
    try:
        decision = desk.resume(decision_id, verdict)
    except DecisionNotFound as error:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no decision with id {decision_id!r}") from error
    except DecisionConflict as error:
        raise HTTPException(status.HTTP_409_CONFLICT, str(error)) from error
    except Exception as error:
        metrics.count_error("resume", error)
        raise
    metrics.count_decision(decision)
    return decision


@router.post(
    "/{decision_id}/approve", response_model=Decision, responses=VERDICT_RESPONSES, operation_id="approve_decision"
)
def approve(
    decision_id: str,
    principal: DeciderDep,
    session: SessionDep,
    desk: DeskDep,
    metrics: MetricsDep,
    reason: Annotated[Reason | None, Body(embed=True, examples=["Cause confirmed with the carrier"])] = None,
) -> Decision:
    """Approve a decision waiting for a person (one that governs a model: an architect): its actions execute once."""
    _may_decide(session, principal, decision_id)
    return _resume(desk, metrics, decision_id, Verdict(verdict="approve", actor=principal.name, reason=reason))


@router.post(
    "/{decision_id}/reject", response_model=Decision, responses=VERDICT_RESPONSES, operation_id="reject_decision"
)
def reject(
    decision_id: str,
    principal: DeciderDep,
    session: SessionDep,
    desk: DeskDep,
    metrics: MetricsDep,
    reason: Annotated[Reason, Body(embed=True, examples=["The customer agreed to a later delivery"])],
) -> Decision:
    """Reject a decision waiting for a person (one that governs a model: an architect), with the reason; nothing
    executes."""
    _may_decide(session, principal, decision_id)
    return _resume(desk, metrics, decision_id, Verdict(verdict="reject", actor=principal.name, reason=reason))


def _in_twin(session: Session, kind: str, code: str) -> bool:
    """Whether the twin holds an entity of this kind with this code."""
    return store.entity(session, kind, code) is not None


def _check_codes(session: Session, actions: list[Action]) -> None:
    """Raise a 422 naming each action parameter whose code is not in the twin."""
    errors = [
        {"type": "value_error", "loc": where, "input": code, "msg": f"{code} is not a {kind} in the twin"}
        for index, action in enumerate(actions)
        for where, kind, code in entity_codes(
            action.params.as_dict(), ("body", "actions", index, action.type, "params")
        )
        if not _in_twin(session, kind, code)
    ]
    if errors:
        raise RequestValidationError(errors)


@router.post(
    "/{decision_id}/override", response_model=Decision, responses=VERDICT_RESPONSES, operation_id="override_decision"
)
def override(
    decision_id: str,
    principal: DeciderDep,
    session: SessionDep,
    desk: DeskDep,
    metrics: MetricsDep,
    actions: Annotated[
        list[Action],
        Body(
            min_length=1,
            max_length=50,
            examples=[
                [{"type": "switch_carrier", "params": {"shipment_id": "SHP-009420", "to_carrier": "CAR-PRAIRIE"}}]
            ],
        ),
    ],
    reason: Annotated[Reason, Body(examples=["CAR-PRAIRIE has a truck at the dock now"])],
) -> Decision:
    """Replace a waiting decision's actions with edited ones (kept as labelled data) and execute them; a decision
    that governs a model, or edited actions that do, need an architect."""
    _may_decide(session, principal, decision_id, actions)
    _check_codes(session, actions)
    verdict = Verdict(verdict="override", actor=principal.name, reason=reason, actions=actions)
    try:
        return _resume(desk, metrics, decision_id, verdict)
    except OffSubject as error:
        raise RequestValidationError(
            [
                {
                    "type": "value_error",
                    "loc": ("body", "actions", ref.action, actions[ref.action].type, "params", ref.param),
                    "input": ref.code,
                    "msg": f"{ref.code} is outside the subject and plan of decision {decision_id}",
                }
                for ref in error.references
            ]
        ) from error
