"""What the desk changed: per trigger and action type, decisions, outcomes and KPI effects with 95% intervals against
the shadow cohort and the baseline period (`agents/attribution.py`)."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.exceptions import RequestValidationError

from agents import attribution
from api.auth import PrincipalDep
from api.deps import SessionDep
from twin.kpis import BadFilter

router = APIRouter(prefix="/v1", tags=["kpis"])


@router.get("/attribution", response_model=attribution.AttributionReport)
def attribution_of(
    session: SessionDep,
    _principal: PrincipalDep,
    start: Annotated[
        date | None,
        Query(
            alias="from", description="First day measured, on the twin's clock (default: the desk's first decision)."
        ),
    ] = None,
    end: Annotated[
        date | None, Query(alias="to", description="Last day measured, included (default: the day before the clock).")
    ] = None,
    site: Annotated[str | None, Query(max_length=64, description="Only this DC, e.g. DC-DAL.")] = None,
    lane: Annotated[str | None, Query(max_length=64, description="Only this lane, e.g. DAL-HOU.")] = None,
    carrier: Annotated[str | None, Query(max_length=64, description="Only this carrier.")] = None,
    baseline_days: Annotated[
        int | None,
        Query(
            ge=1,
            le=365,
            description="Days of the baseline before the desk went live (default: as many as measured, 14 to 90).",
        ),
    ] = None,
) -> attribution.AttributionReport:
    """For each trigger and action type: how often it fired, what was done, the outcome measured afterwards, and the
    effect on the KPIs with a 95% bootstrap interval, against the shadow cohort (difference in differences) and
    against the baseline period before the desk went live; and the rollout's effect over the cohorts."""
    try:
        return attribution.report(session, start, end, site, lane, carrier, baseline_days)
    except BadFilter as error:
        raise RequestValidationError(
            [{"type": "value_error", "loc": ("query", error.field), "msg": error.message, "input": None}]
        ) from error
