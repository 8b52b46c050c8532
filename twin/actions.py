"""The actions the desk can take, named in one place: one parameter model per type and their discriminated union.

An action keeps the JSON shape `{"type": ..., "params": {...}}`. Every action a specialist proposes carries
`cost_usd`, its expected cost as priced by the cost model, so a plan's cost is the sum of its actions' costs.
"""

from collections.abc import Iterator
from datetime import date
from typing import Annotated, Any, Literal, Union

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    StringConstraints,
    TypeAdapter,
    create_model,
    model_serializer,
)

Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]


class Params(BaseModel):
    """Parameters of an action; fields beyond the typed ones are kept as sent. Read like a mapping of JSON names."""

    model_config = ConfigDict(extra="allow", populate_by_name=True, serialize_by_alias=True)

    cost_usd: float | None = Field(
        None,
        ge=0,
        description="Expected cost of this action, USD (never negative); "
        "unset on an action a person wrote, not yet priced.",
    )

    @model_serializer(mode="wrap")
    def _without_unset(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        """Parameters left unset (None) are not written, so a stored action reads as it was sent."""
        return {key: value for key, value in handler(self).items() if value is not None}

    def as_dict(self) -> dict[str, Any]:
        """The parameters as stored and sent: JSON names, unset optional fields left out."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)

    def __getitem__(self, key: str) -> Any:
        """A parameter by its JSON name."""
        return self.as_dict()[key]

    def get(self, key: str, default: Any = None) -> Any:
        """A parameter by its JSON name, or `default`."""
        return self.as_dict().get(key, default)

    def items(self) -> Iterator[tuple[str, Any]]:
        """The parameters by JSON name."""
        return iter(self.as_dict().items())


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
    """New routes of a DC's day without the trucks taken off the road."""

    dc: Code
    day: date
    removed_truck: Code
    routes: list[PlannedRoute] = Field(min_length=1)
    unserved: list[Code] = Field(default_factory=list)


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
    """Move stock between two DCs; it arrives `lead_days` after it leaves."""

    sku: Code
    from_: Code = Field(alias="from")
    to: Code
    qty: float = Field(gt=0)
    lead_days: int | None = Field(None, ge=0)


class ExpeditePurchaseParams(StockParams):
    """Expect an expedited supplier delivery."""

    qty: float = Field(gt=0)
    lead_days: int | None = Field(None, ge=0)


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
ActionType = Literal[tuple(ACTION_PARAMS)]


def _action_model(action_type: str, params: type[Params]) -> type[BaseModel]:
    """The model of one action type: its name and its typed parameters."""
    title = "".join(part.title() for part in action_type.split("_")) + "Action"
    return create_model(
        title, __doc__=f"A `{action_type}` action.", type=(Literal[action_type], ...), params=(params, ...)
    )


ACTION_MODELS = {name: _action_model(name, params) for name, params in ACTION_PARAMS.items()}
Action = Annotated[Union[tuple(ACTION_MODELS.values())], Field(discriminator="type")]  # noqa: UP007 (a union built at run time)
ACTION = TypeAdapter(Action)


def action(action_type: str, **params: Any) -> Action:
    """A validated action of a type from its parameters (JSON names, e.g. `from` for a transfer's origin)."""
    return ACTION.validate_python({"type": action_type, "params": params})


def plan_cost(actions: list[Action]) -> float:
    """The cost of a plan: the sum of its actions' costs."""
    return round(sum(item.params.cost_usd or 0.0 for item in actions), 2)
