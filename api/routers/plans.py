"""The plans in force on the twin's clock: the latest decision of each planning type, with its summary."""

from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.exceptions import RequestValidationError
from pydantic import Field
from sqlalchemy import Select

from agents.plans import PLAN_TYPES, PlanSummary, summary
from api.auth import PrincipalDep
from api.deps import SessionDep
from api.paging import Cursor, Keyset, Limit, Offset, Page, paginate
from twin import store

router = APIRouter(prefix="/v1/plans", tags=["decisions"])


class PlanPage(Page[PlanSummary]):
    """A page of plans in force on a day, one per plan type, with the twin's clock they are read against."""

    as_of: datetime | None = Field(description="The twin's clock.")
    day: date = Field(description="The day the plans are in force on.")


@router.get("", response_model=PlanPage)
def list_plans(
    session: SessionDep,
    _principal: PrincipalDep,
    day: Annotated[
        date | None, Query(description="The day the plans are in force on; the twin's today by default.")
    ] = None,
    plan_type: Annotated[str | None, Query(description=f"Only one plan type: {', '.join(PLAN_TYPES)}.")] = None,
    limit: Limit = 50,
    offset: Offset = 0,
    cursor: Cursor = None,
) -> PlanPage:
    """The plan in force of each plan type (tender, maintenance, ...): the decision on the latest day planned on or
    before `day`, with its status, objective, key totals, the trade-off versions it cited and its alternatives."""
    if plan_type is not None and plan_type not in PLAN_TYPES:
        raise RequestValidationError(
            [
                {
                    "type": "value_error",
                    "loc": ("query", "plan_type"),
                    "input": plan_type,
                    "msg": f"not a plan type; one of {', '.join(PLAN_TYPES)}",
                }
            ]
        )
    clock = store.as_of(session)
    on = day or (clock or datetime.now(UTC)).date()
    statement = store.latest_plans([plan_type] if plan_type else PLAN_TYPES, on)
    page = paginate(session, statement, limit, offset, summary, _by_plan_type(statement), cursor)
    return PlanPage(
        items=page.items,
        total=page.total,
        limit=page.limit,
        offset=page.offset,
        next_cursor=page.next_cursor,
        as_of=clock,
        day=on,
    )


def _by_plan_type(statement: Select) -> Keyset:
    """The listing's cursor key: its plan type column."""
    return Keyset((statement.selected_columns.plan_type,), descending=False)
