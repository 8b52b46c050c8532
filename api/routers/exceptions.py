"""Exceptions: report one and get its decision (idempotently), list them, read one."""

from typing import Annotated, Literal

from fastapi import APIRouter, Header, HTTPException, Query, Request, Response, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import Row, Select, func, or_
from sqlmodel import Session, col, select

from agents.schemas import Decision, ExceptionIn, ExceptionType
from api.auth import PlannerDep, PrincipalDep, ReporterDep
from api.deps import DeskDep, SessionDep
from api.metrics import MetricsDep
from api.paging import Cursor, Keyset, Limit, Offset, Page, paginate
from api.schemas import ExceptionOut
from graph.desk import DecisionConflict, DecisionFailed, DecisionNotFound, IdempotencyMismatch
from twin import models as m
from twin import quality, store

router = APIRouter(prefix="/v1/exceptions", tags=["exceptions"])

NEWEST_EXCEPTIONS = Keyset((col(m.ExceptionRecord.created_at), col(m.ExceptionRecord.id)), descending=True)
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=128,
        description="Send the same key on a retry to get the same decision back (never a second one); a key is bound "
        "to its first request body (another body with it is a 422).",
    ),
]


def _already_taken_in(session: Session, exception: ExceptionIn, idempotency_key: str | None) -> bool:
    """Whether an exception with this idempotency key or external id is already stored."""
    clauses = []
    if idempotency_key:
        clauses.append(col(m.ExceptionRecord.idempotency_key) == idempotency_key)
    if exception.external_id:
        clauses.append(col(m.ExceptionRecord.external_id) == exception.external_id)
    return bool(clauses) and session.exec(select(col(m.ExceptionRecord.id)).where(or_(*clauses))).first() is not None


@router.post(
    "",
    response_model=Decision,
    status_code=status.HTTP_201_CREATED,
    responses={
        200: {
            "model": Decision,
            "description": "A retry (same `Idempotency-Key` or `external_id`): the first decision; "
            "or a duplicate of an open exception on the same subject: its decision, "
            "with `duplicate_of`.",
        },
        202: {
            "model": ExceptionOut,
            "description": "Taken in, and its decision is not ready within `YM_ANSWER_WAIT_S`: the exception as "
            "stored; its decision follows (a `decision.made` webhook, and `decision_id` at the `Location` URL).",
            "headers": {
                "Location": {"description": "`/v1/exceptions/{id}` of the exception.", "schema": {"type": "string"}}
            },
        },
        422: {"description": "Invalid body, or an `Idempotency-Key` reused with another body."},
        500: {"description": "Stored, and making its decision failed: `exception_id` names it (tried again)."},
        503: {"description": "No trained models yet."},
    },
)
def post_exception(
    exception: ExceptionIn,
    principal: ReporterDep,
    session: SessionDep,
    desk: DeskDep,
    metrics: MetricsDep,
    request: Request,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> Decision | JSONResponse:
    """Report an exception; the desk classifies it, a specialist decides, and the policy gate executes or pauses it.
    The answer is the decision when it is ready within the wait bound, else 202 with the exception."""
    retry = _already_taken_in(session, exception, idempotency_key)
    clock = store.as_of(session)
    session.commit()  # ends the read and returns its connection: the desk's own sessions use the only one held
    max_age_h = request.app.state.settings.event_max_age_h
    if not retry and exception.occurred_at and (late := quality.too_old(exception.occurred_at, clock, max_age_h)):
        raise RequestValidationError(
            [{"type": "late", "loc": ("body", "occurred_at"), "msg": late, "input": exception.occurred_at}]
        )
    try:
        taken, decision = desk.answer(
            exception, principal.name, idempotency_key, request.app.state.settings.answer_wait_s
        )
    except IdempotencyMismatch as error:
        raise RequestValidationError(
            [{"type": "duplicate", "loc": ("header", "Idempotency-Key"), "msg": str(error), "input": idempotency_key}]
        ) from error
    except DecisionFailed as error:
        metrics.count_error("submit", error.__cause__ or error)
        return JSONResponse(
            {"detail": str(error), "exception_id": error.exception_id},
            status.HTTP_500_INTERNAL_SERVER_ERROR,
            {"Location": f"/v1/exceptions/{error.exception_id}"},
        )
    except Exception as error:
        metrics.count_error("submit", error)
        raise
    if decision is None:
        location = f"/v1/exceptions/{taken.exception_id}"
        accepted = get_exception(taken.exception_id, session, principal)
        return JSONResponse(accepted.model_dump(mode="json"), status.HTTP_202_ACCEPTED, {"Location": location})
    if retry or decision.duplicate_of:
        response.status_code = status.HTTP_200_OK
        metrics.count_quality("exceptions", "duplicate")
    else:
        metrics.count_decision(decision)
    return decision


def _with_decision_id() -> Select:
    """Exceptions joined to the id of their decision, if any."""
    answered_by = func.coalesce(col(m.ExceptionRecord.duplicate_of), col(m.ExceptionRecord.id))
    return select(m.ExceptionRecord, col(m.DecisionRecord.id)).outerjoin(
        m.DecisionRecord, col(m.DecisionRecord.exception_id) == answered_by
    )


def _exception_out(row: Row) -> ExceptionOut:
    """An exception row and its decision id as the response shape."""
    record, decision_id = row
    return ExceptionOut.model_validate(record).model_copy(update={"decision_id": decision_id})


@router.get("", response_model=Page[ExceptionOut])
def list_exceptions(
    session: SessionDep,
    _principal: PrincipalDep,
    exception_status: Annotated[Literal["open", "decided", "closed", "failed"] | None, Query(alias="status")] = None,
    exception_type: Annotated[ExceptionType | None, Query(alias="type")] = None,
    limit: Limit = 50,
    offset: Offset = 0,
    cursor: Cursor = None,
) -> Page[ExceptionOut]:
    """Exceptions, newest first, optionally of one status and type."""
    statement = _with_decision_id().order_by(*NEWEST_EXCEPTIONS.order())
    if exception_status:
        statement = statement.where(col(m.ExceptionRecord.status) == exception_status)
    if exception_type:
        statement = statement.where(col(m.ExceptionRecord.type) == exception_type)
    return paginate(session, statement, limit, offset, _exception_out, NEWEST_EXCEPTIONS, cursor)


@router.get("/{exception_id}", response_model=ExceptionOut, responses={404: {"description": "No such exception."}})
def get_exception(exception_id: str, session: SessionDep, _principal: PrincipalDep) -> ExceptionOut:
    """One exception and the id of its decision (null until decided; a duplicate's is the earlier exception's)."""
    row = session.execute(_with_decision_id().where(col(m.ExceptionRecord.id) == exception_id)).first()
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no exception with id {exception_id!r}")
    return _exception_out(row)


@router.post(
    "/{exception_id}/retry",
    response_model=ExceptionOut,
    status_code=status.HTTP_202_ACCEPTED,
    responses={404: {"description": "No such exception."}, 409: {"description": "The exception is not `failed`."}},
)
def retry_exception(
    exception_id: str, principal: PlannerDep, session: SessionDep, desk: DeskDep, response: Response
) -> ExceptionOut:
    """Decide a `failed` exception afresh (queued again, or decided in the background); follow it at its URL."""
    session.commit()
    try:
        desk.retry(exception_id, principal.name)
    except DecisionNotFound as error:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no exception with id {exception_id!r}") from error
    except DecisionConflict as error:
        raise HTTPException(status.HTTP_409_CONFLICT, str(error)) from error
    response.headers["Location"] = f"/v1/exceptions/{exception_id}"
    return get_exception(exception_id, session, principal)
