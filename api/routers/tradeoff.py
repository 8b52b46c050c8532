"""The architect's trade-off for carrier choice: read by anyone, set by architects, every change a new version."""

from fastapi import APIRouter
from fastapi.exceptions import RequestValidationError

from api.auth import ArchitectDep, PrincipalDep
from api.deps import SessionDep
from api.schemas import TradeOffIn, TradeOffOut
from twin import tradeoff

router = APIRouter(prefix="/v1/tradeoff", tags=["tradeoff"])


@router.get("", response_model=list[TradeOffOut])
def list_tradeoff(session: SessionDep, _principal: PrincipalDep) -> list[TradeOffOut]:
    """The trade-off in force in each scope, most general first (none stored: every cost counts at face value)."""
    return [TradeOffOut.model_validate(row) for row in tradeoff.in_force(session)]


@router.put("", response_model=TradeOffOut, responses={422: {"description": "An unknown lane or a bad weight."}})
def put_tradeoff(body: TradeOffIn, session: SessionDep, principal: ArchitectDep) -> TradeOffOut:
    """Put a trade-off in force for a scope as its next version; plans made from now on use it, decisions already
    made keep theirs. The change is audited with the version before and after."""
    try:
        row = tradeoff.set_tradeoff(session, body.tier, body.lane, body.on_time, body.co2, body.reason, principal.name)
    except ValueError as error:
        field, _, message = str(error).partition(": ")
        raise RequestValidationError(
            [{"type": "value_error", "loc": ("body", field), "input": getattr(body, field, None), "msg": message}]
        ) from error
    return TradeOffOut.model_validate(row)
