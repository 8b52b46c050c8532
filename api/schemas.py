"""Request and response shapes of the exception, decision, policy and audit endpoints.

Override actions are checked per action type: each type has its own parameter model.
"""

from datetime import date, datetime
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, create_model

from agents.policy import PolicyRule
from agents.schemas import Action, DecisionStatus, ExceptionType, PolicyVerdict, Specialist

Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
Tier = Literal["gold", "silver", "standard"]


# --- exceptions and decisions ------------------------------------------------------------------------------


class ExceptionOut(BaseModel):
    """An exception as stored, with the id of its decision once there is one."""

    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [{
        "id": "EXC-1A2B3C4D5E6F", "type": "late_shipment", "description": None,
        "refs": {"shipment_id": "SHP-009420"}, "severity": "high", "source": "tms",
        "occurred_at": "2026-11-02T09:00:00Z", "external_id": "tms-88412", "status": "closed",
        "actor": "tms-connector", "created_at": "2026-11-02T09:00:01Z", "decision_id": "DEC-1A2B3C4D5E6F",
    }]})

    id: str
    type: ExceptionType | None
    description: str | None
    refs: dict[str, str]
    severity: str
    source: str
    occurred_at: datetime
    external_id: str | None
    status: Literal["open", "decided", "closed"]
    actor: str
    created_at: datetime
    decision_id: str | None = None
    duplicate_of: str | None = Field(None, description="The earlier open exception on the same subject that this "
                                     "one was merged into (its decision answers both).")
    intake: Literal["received", "deciding", "decided"] = Field(
        "decided", description="`deciding` while its decision is being made (also again after a crash).")


class DecisionSummary(BaseModel):
    """A decision in a listing: who decided what, its status and policy; the full record is at its own URL."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "decision_id": "DEC-1A2B3C4D5E6F", "exception_id": "EXC-1A2B3C4D5E6F", "specialist": "routing",
        "status": "pending_approval", "confidence": 0.91,
        "actions": [{"type": "switch_carrier", "params": {"shipment_id": "SHP-009420", "to_carrier": "CAR-BLUEGRID"}}],
        "cost_usd": 412.5,
        "policy": {"autonomy_level": 2, "requires_approval": True,
                   "reasons": ["switch_carrier (level 2, scope *): executes after approval"]},
        "created_at": "2026-11-02T09:00:02Z", "updated_at": "2026-11-02T09:00:02Z",
    }]})

    decision_id: str
    exception_id: str
    specialist: Specialist | None
    status: DecisionStatus | Literal["resuming"] = Field(
        description="`resuming` while a person's verdict is being carried out.")
    confidence: float
    actions: list[Action]
    cost_usd: float
    policy: PolicyVerdict | None
    created_at: datetime
    updated_at: datetime


# --- override actions, one parameter model per action type ---------------------------------------------


class Params(BaseModel):
    """Parameters of an action; fields beyond the required ones are kept as sent."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)


class ShipmentParams(Params):
    """An action on one shipment."""

    shipment_id: Code


class SwitchCarrierParams(ShipmentParams):
    """Give a shipment to another carrier."""

    to_carrier: Code
    from_carrier: Code | None = None


class NotifyCustomerParams(ShipmentParams):
    """Tell a shipment's customer about it."""

    customer: Code | None = None


class ExpediteShipmentParams(ShipmentParams):
    """Speed up a shipment's remaining trip."""

    hours_saved: float | None = Field(None, ge=0)


class PlannedRoute(BaseModel):
    """One truck's stops in sequence."""

    truck: Code
    stops: list[Code]


class ReplanRouteParams(Params):
    """New routes of a DC's day without one truck."""

    dc: Code
    day: date
    removed_truck: Code
    routes: list[PlannedRoute] = Field(min_length=1)


class TenderStopsParams(Params):
    """Hand a truck's shipments to a carrier."""

    carrier: Code
    shipments: list[Code] = Field(min_length=1)
    truck: Code | None = None


class StockParams(Params):
    """An action on one SKU at one DC."""

    sku: Code
    location: Code


class TransferStockParams(Params):
    """Move stock between two DCs."""

    sku: Code
    from_: Code = Field(alias="from")
    to: Code
    qty: float = Field(gt=0)
    cost_usd: float = Field(0.0, ge=0)


class ExpeditePurchaseParams(StockParams):
    """Expect an expedited supplier delivery."""

    qty: float = Field(gt=0)


class RaiseSafetyStockParams(StockParams):
    """Set a new safety stock and reorder point."""

    safety_stock: float = Field(ge=0)
    reorder_point: float = Field(ge=0)


class ScheduleMaintenanceParams(Params):
    """Book a truck into a workshop bay."""

    truck: Code
    day: int = Field(0, ge=0, le=60, description="Days from today.")
    kind: Literal["preventive", "corrective"] = "preventive"
    dc: Code | None = None


class LoadAssignment(BaseModel):
    """One re-tendered load."""

    load_id: str
    lane: Code
    carrier: Code


class RetenderLoadsParams(Params):
    """Re-tender a carrier's loads to others."""

    from_carrier: Code
    assignments: list[LoadAssignment] = Field(default_factory=list)


class BookSpotParams(Params):
    """Buy spot capacity for a carrier's loads."""

    from_carrier: Code
    loads: int = Field(ge=1)


class BookCarrierParams(Params):
    """Book a carrier on a lane."""

    lane: Code
    carrier: Code
    transfer_sku: Code | None = None


ACTION_PARAMS: dict[str, type[Params]] = {
    "switch_carrier": SwitchCarrierParams,
    "notify_customer": NotifyCustomerParams,
    "expedite_shipment": ExpediteShipmentParams,
    "replan_route": ReplanRouteParams,
    "tender_stops": TenderStopsParams,
    "transfer_stock": TransferStockParams,
    "expedite_purchase": ExpeditePurchaseParams,
    "raise_safety_stock": RaiseSafetyStockParams,
    "schedule_maintenance": ScheduleMaintenanceParams,
    "retender_loads": RetenderLoadsParams,
    "book_spot": BookSpotParams,
    "book_carrier": BookCarrierParams,
}


def _action_model(action_type: str, params: type[Params]) -> type[BaseModel]:
    """The request model of one action type."""
    title = "".join(part.title() for part in action_type.split("_")) + "Action"
    return create_model(title, __doc__=f"A `{action_type}` action.", type=(Literal[action_type], ...),
                        params=(params, ...))


ActionIn = Annotated[Union[tuple(_action_model(name, params) for name, params in ACTION_PARAMS.items())],
                     Field(discriminator="type")]


def to_action(action: ActionIn) -> Action:
    """The desk's action from a validated request action (parameter names as the executors read them)."""
    return Action(type=action.type, params=action.params.model_dump(mode="json", by_alias=True, exclude_none=True))


# --- policies and audit -----------------------------------------------------------------------------------


class PolicyIn(BaseModel):
    """The autonomy of an action type in a scope: `*`, a DC such as DC-DAL, or a lane such as DAL-HOU."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"autonomy_level": 3, "max_cost_usd": 1500, "min_confidence": 0.8, "allowed_tiers": ["gold", "silver"]},
        {"autonomy_level": 2, "scope": "DAL-HOU"},
    ]})

    autonomy_level: int = Field(ge=1, le=4, description="1 recommend only, 2 after approval, "
                                                        "3 within bounds, 4 unless safety-critical.")
    max_cost_usd: float | None = Field(None, ge=0, description="Level 3: the most a decision may cost.")
    min_confidence: float | None = Field(None, ge=0, le=1, description="Level 3: the least confidence.")
    allowed_tiers: list[Tier] = Field(default_factory=list, description="Level 3: customer tiers (empty: all).")
    safety_critical: bool = False
    scope: Code | None = Field(None, description="Defaults to `*`; the `scope` query parameter works too.")


class PolicyOut(PolicyRule):
    """A stored autonomy rule and who changed it last."""

    model_config = ConfigDict(from_attributes=True)

    updated_by: str
    updated_at: datetime


class AuditOut(BaseModel):
    """One audit event: who did what, when, on which exception or decision."""

    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [{
        "id": 42, "at": "2026-11-02T09:05:00Z", "actor": "test-planner", "kind": "decision.final",
        "exception_id": "EXC-1A2B3C4D5E6F", "decision_id": "DEC-1A2B3C4D5E6F",
        "detail": {"status": "executed"},
    }]})

    id: int
    at: datetime
    actor: str
    kind: str
    exception_id: str | None
    decision_id: str | None
    detail: dict[str, Any]
