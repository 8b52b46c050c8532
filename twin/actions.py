"""The actions the desk can take, named in one place: one class per action type and their discriminated union.

An action keeps the JSON shape `{"type": ..., "params": {...}}`. Every action a specialist proposes carries
`cost_usd`, its expected cost as priced by the cost model, so a plan's cost is the sum of its actions' costs.
Code handles an action with `match` on its class; parameters are read as attributes, never by string keys.
"""

from collections.abc import Iterator
from datetime import date
from typing import Annotated, Any, Literal, TypeGuard, assert_never, get_args

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    StringConstraints,
    TypeAdapter,
    model_serializer,
)

Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
Day = date  # a calendar day, named apart so that a parameter may be called `date`


class Params(BaseModel):
    """Parameters of an action: typed fields only; an unknown parameter is refused by name."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, serialize_by_alias=True)

    cost_usd: float | None = Field(
        default=None,
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

    hours_saved: float | None = Field(default=None, ge=0)


class PlannedRoute(BaseModel):
    """One truck's stops in sequence."""

    model_config = ConfigDict(extra="forbid")

    truck: Code
    stops: list[Code]


class ReplanRouteParams(Params):
    """New routes of a DC's day without the trucks taken off the road."""

    dc: Code
    day: date
    removed_truck: Code
    routes: list[PlannedRoute] = Field(min_length=1)
    unserved: list[Code] = Field(default_factory=list)
    removed_trucks: list[Code] | None = Field(
        default=None, description="Every truck off the road that day, when several."
    )


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
    lead_days: int | None = Field(default=None, ge=0)

    @classmethod
    def between(
        cls, sku: str, origin: str, to: str, qty: float, lead_days: int | None = None, cost_usd: float | None = None
    ) -> "TransferStockParams":
        """A transfer from `origin` to `to` (built by field aliases: the origin's name, `from`, is a Python keyword)."""
        fields = {"sku": sku, "from": origin, "to": to, "qty": qty, "lead_days": lead_days, "cost_usd": cost_usd}
        return cls.model_validate(fields)

    @property
    def lane(self) -> str:
        """The lane the transfer travels, named as lanes are (DC-DAL to DC-HOU is DAL-HOU)."""
        return f"{self.from_.removeprefix('DC-')}-{self.to.removeprefix('DC-')}"


class ExpeditePurchaseParams(StockParams):
    """Expect an expedited supplier delivery."""

    qty: float = Field(gt=0)
    lead_days: int | None = Field(default=None, ge=0)


class PurchaseOrderParams(StockParams):
    """Order stock from the SKU's supplier at regular terms; it lands `lead_days` later."""

    qty: float = Field(gt=0)
    lead_days: int | None = Field(default=None, ge=0)


class RaiseSafetyStockParams(StockParams):
    """Set a new safety stock and reorder point."""

    safety_stock: float = Field(ge=0)
    reorder_point: float = Field(ge=0)
    lead_time_days: int | None = Field(default=None, ge=0, description="The replenishment lead time the levels cover.")
    service_level: float | None = Field(
        default=None, gt=0, lt=1, description="The cycle service level the levels aim at."
    )


class ReorderPointParams(StockParams):
    """Move a position's reorder point: the daily review orders once on hand less allocated plus in transit falls to
    it."""

    reorder_point: float = Field(ge=0)
    before: float | None = Field(default=None, ge=0, description="The reorder point it replaces.")


class ScheduleMaintenanceParams(Params):
    """Book a truck into a workshop bay."""

    truck: Code
    day: int = Field(default=0, ge=0, le=60, description="Days from today.")
    kind: Literal["preventive", "corrective"] = "preventive"
    dc: Code | None = None
    date: Day | None = Field(default=None, description="The day of the visit.")
    service: str | None = Field(default=None, description="The service band: inspection, service or overhaul.")
    service_hours: float | None = Field(default=None, ge=0)
    safety_critical: bool | None = Field(
        default=None, description="Whether the work is safety-critical (never automatic)."
    )


class LoadAssignment(BaseModel):
    """One re-tendered load."""

    model_config = ConfigDict(extra="forbid")

    load_id: str
    lane: Code
    carrier: Code


class RetenderLoadsParams(Params):
    """Re-tender a carrier's loads to others."""

    from_carrier: Code
    capacity_cut_pct: float | None = Field(default=None, ge=0, le=100)
    assignments: list[LoadAssignment] = Field(default_factory=list)


class BookSpotParams(Params):
    """Buy spot capacity for a carrier's loads."""

    from_carrier: Code
    loads: int = Field(ge=1)


class TenderAllocation(BaseModel):
    """Loads of one lane and customer tier given to one carrier for the planned day."""

    model_config = ConfigDict(extra="forbid")

    lane: Code
    tier: Literal["gold", "silver", "standard"]
    carrier: Code
    loads: float = Field(gt=0, description="Expected loads of the day this carrier takes, in tenths.")


class PlanTendersParams(Params):
    """Tender the day's new carrier shipments by lane and tier: each goes to the carrier with the most loads left."""

    day: Day = Field(description="The day whose new shipments the plan tenders.")
    allocations: list[TenderAllocation] = Field(min_length=1)


class BookCarrierParams(Params):
    """Book a carrier on a lane."""

    lane: Code
    carrier: Code
    transfer_sku: Code | None = None
    units: int | None = Field(default=None, ge=0, description="Units of the transfer the booking carries.")


class RollbackModelParams(Params):
    """Put back the version of a trained model that was in force before the current one."""

    model: Code
    from_version: Code
    to_version: Code


class RecommendRetrainingParams(Params):
    """Record that a model should be retrained, and why; retraining itself is run by a person (`yardmaster train`)."""

    model: Code
    version: Code = Field(description="The version in force found wanting.")
    reasons: list[str] = Field(min_length=1, description="The findings behind the recommendation.")


class LowerAutonomyParams(Params):
    """Set the action types whose proposals rest on a model to `recommend` (after approval) wherever they act."""

    model: Code
    action_types: list[Code] = Field(min_length=1)
    level: Literal["recommend"] = "recommend"


class SwitchCarrier(BaseModel):
    """A `switch_carrier` action."""

    type: Literal["switch_carrier"] = "switch_carrier"
    params: SwitchCarrierParams


class NotifyCustomer(BaseModel):
    """A `notify_customer` action."""

    type: Literal["notify_customer"] = "notify_customer"
    params: NotifyCustomerParams


class ExpediteShipment(BaseModel):
    """An `expedite_shipment` action."""

    type: Literal["expedite_shipment"] = "expedite_shipment"
    params: ExpediteShipmentParams


class ReplanRoute(BaseModel):
    """A `replan_route` action."""

    type: Literal["replan_route"] = "replan_route"
    params: ReplanRouteParams


class TenderStops(BaseModel):
    """A `tender_stops` action."""

    type: Literal["tender_stops"] = "tender_stops"
    params: TenderStopsParams


class TransferStock(BaseModel):
    """A `transfer_stock` action."""

    type: Literal["transfer_stock"] = "transfer_stock"
    params: TransferStockParams


class ExpeditePurchase(BaseModel):
    """An `expedite_purchase` action."""

    type: Literal["expedite_purchase"] = "expedite_purchase"
    params: ExpeditePurchaseParams


class PlacePurchaseOrder(BaseModel):
    """A `place_purchase_order` action: a regular supplier order."""

    type: Literal["place_purchase_order"] = "place_purchase_order"
    params: PurchaseOrderParams


class RaiseSafetyStock(BaseModel):
    """A `raise_safety_stock` action."""

    type: Literal["raise_safety_stock"] = "raise_safety_stock"
    params: RaiseSafetyStockParams


class SetReorderPoint(BaseModel):
    """A `set_reorder_point` action."""

    type: Literal["set_reorder_point"] = "set_reorder_point"
    params: ReorderPointParams


class ScheduleMaintenance(BaseModel):
    """A `schedule_maintenance` action."""

    type: Literal["schedule_maintenance"] = "schedule_maintenance"
    params: ScheduleMaintenanceParams


class RetenderLoads(BaseModel):
    """A `retender_loads` action."""

    type: Literal["retender_loads"] = "retender_loads"
    params: RetenderLoadsParams


class BookSpot(BaseModel):
    """A `book_spot` action."""

    type: Literal["book_spot"] = "book_spot"
    params: BookSpotParams


class BookCarrier(BaseModel):
    """A `book_carrier` action."""

    type: Literal["book_carrier"] = "book_carrier"
    params: BookCarrierParams


class PlanTenders(BaseModel):
    """A `plan_tenders` action."""

    type: Literal["plan_tenders"] = "plan_tenders"
    params: PlanTendersParams


class RollbackModel(BaseModel):
    """A `rollback_model` action: a model change, which always waits for an architect's approval."""

    type: Literal["rollback_model"] = "rollback_model"
    params: RollbackModelParams


class RecommendRetraining(BaseModel):
    """A `recommend_retraining` action: recorded and audited for the model's owners; it retrains nothing itself."""

    type: Literal["recommend_retraining"] = "recommend_retraining"
    params: RecommendRetrainingParams


class LowerAutonomy(BaseModel):
    """A `lower_autonomy` action: the rules of a model's dependent action types that act are set to recommend."""

    type: Literal["lower_autonomy"] = "lower_autonomy"
    params: LowerAutonomyParams


GOVERNANCE_ACTIONS = ("rollback_model", "recommend_retraining", "lower_autonomy")  # wait for an architect, always
STOCK_ACTIONS = (  # what the inventory specialist's plans run, a transfer's carrier booked by routing among them
    "transfer_stock",
    "expedite_purchase",
    "place_purchase_order",
    "raise_safety_stock",
    "set_reorder_point",
    "book_carrier",
)

AnyAction = (
    SwitchCarrier
    | NotifyCustomer
    | ExpediteShipment
    | ReplanRoute
    | TenderStops
    | TransferStock
    | ExpeditePurchase
    | PlacePurchaseOrder
    | RaiseSafetyStock
    | SetReorderPoint
    | ScheduleMaintenance
    | RetenderLoads
    | BookSpot
    | BookCarrier
    | PlanTenders
    | RollbackModel
    | RecommendRetraining
    | LowerAutonomy
)
Action = Annotated[AnyAction, Field(discriminator="type")]
ACTION: TypeAdapter[AnyAction] = TypeAdapter(Action)
ACTION_TYPES: tuple[str, ...] = tuple(get_args(cls.model_fields["type"].annotation)[0] for cls in get_args(AnyAction))


EntityKind = Literal["shipment", "carrier", "sku", "truck", "lane", "dc", "customer"]
ENTITY_PARAMS: dict[str, EntityKind] = {
    "shipment_id": "shipment",
    "shipments": "shipment",
    "stops": "shipment",
    "carrier": "carrier",
    "to_carrier": "carrier",
    "from_carrier": "carrier",
    "sku": "sku",
    "transfer_sku": "sku",
    "truck": "truck",
    "removed_truck": "truck",
    "lane": "lane",
    "dc": "dc",
    "location": "dc",
    "from": "dc",
    "to": "dc",
    "customer": "customer",
}  # the parameters, at any depth, that name a twin entity, by JSON name, and the kind each names
CodeKind = Literal["shipment", "truck", "sku"]


def _names_a_code(kind: EntityKind) -> TypeGuard[CodeKind]:
    """Whether an entity kind is one a plan's subject check reads: a shipment, a truck or a SKU."""
    return kind in get_args(CodeKind)


CODE_PARAMS: dict[str, CodeKind] = {
    param: kind for param, kind in ENTITY_PARAMS.items() if _names_a_code(kind) and param != "stops"
}  # the top-level parameters that name a shipment, a truck or a SKU: the subject checks of a plan read them


def entity_codes(
    value: Any, loc: tuple[str | int, ...] = ()
) -> Iterator[tuple[tuple[str | int, ...], EntityKind, str]]:
    """Every (location, kind, code) that a JSON parameter tree names."""
    if isinstance(value, list):
        for index, item in enumerate(value):
            yield from entity_codes(item, (*loc, index))
        return
    if not isinstance(value, dict):
        return
    for key, item in value.items():
        kind = ENTITY_PARAMS.get(key)
        if kind is not None and isinstance(item, str):
            yield (*loc, key), kind, item
        elif kind is not None and isinstance(item, list) and all(isinstance(code, str) for code in item):
            for index, code in enumerate(item):
                yield (*loc, key, index), kind, str(code)
        else:
            yield from entity_codes(item, (*loc, key))


class References(BaseModel):
    """The twin's records an action names: what its facts are read from and the cohorts its policy applies to."""

    codes: list[tuple[str, str]] = Field(
        default_factory=list, description="(parameter's JSON name, code) of each shipment, truck and SKU named"
    )
    positions: list[tuple[str, str]] = Field(default_factory=list, description="(SKU, DC) stock positions")
    carriers: list[str] = Field(default_factory=list)
    scopes: list[str] = Field(default_factory=list, description="The lane or site the action's policy is set for")

    def named(self, kind: CodeKind) -> list[str]:
        """The codes of one kind, in the order the parameters name them."""
        return [code for param, code in self.codes if CODE_PARAMS[param] == kind]

    @property
    def shipments(self) -> list[str]:
        """The shipments named."""
        return self.named("shipment")

    @property
    def trucks(self) -> list[str]:
        """The trucks named."""
        return self.named("truck")


def references(action: AnyAction) -> References:
    """What one action names, read from its typed parameters."""
    match action:
        case SwitchCarrier(params=p):
            return References(codes=[("shipment_id", p.shipment_id)], carriers=[p.to_carrier])
        case NotifyCustomer(params=p) | ExpediteShipment(params=p):
            return References(codes=[("shipment_id", p.shipment_id)])
        case ReplanRoute(params=p):
            return References(codes=[("removed_truck", p.removed_truck)], scopes=[p.dc])
        case TenderStops(params=p):
            truck = [("truck", p.truck)] if p.truck else []
            return References(codes=[*(("shipments", code) for code in p.shipments), *truck], carriers=[p.carrier])
        case TransferStock(params=p):
            return References(
                codes=[("sku", p.sku)], positions=[(p.sku, p.from_), (p.sku, p.to)], scopes=[p.lane, p.to]
            )
        case (
            ExpeditePurchase(params=p)
            | PlacePurchaseOrder(params=p)
            | RaiseSafetyStock(params=p)
            | SetReorderPoint(params=p)
        ):
            return References(codes=[("sku", p.sku)], positions=[(p.sku, p.location)], scopes=[p.location])
        case ScheduleMaintenance(params=p):
            return References(codes=[("truck", p.truck)], scopes=[p.dc] if p.dc else [])
        case RetenderLoads(params=p) | BookSpot(params=p):
            return References(carriers=[p.from_carrier])
        case BookCarrier(params=p):
            sku = [("transfer_sku", p.transfer_sku)] if p.transfer_sku else []
            return References(codes=sku, carriers=[p.carrier], scopes=[p.lane])
        case PlanTenders(params=p):
            return References(carriers=sorted({a.carrier for a in p.allocations}))
        case RollbackModel() | RecommendRetraining() | LowerAutonomy():
            return References()
        case _:
            assert_never(action)


def parse_action(action_type: str, params: dict[str, Any]) -> AnyAction:
    """The typed action of a stored or sent type and its parameters (JSON names)."""
    return ACTION.validate_python({"type": action_type, "params": params})


def plan_cost(actions: list[AnyAction]) -> float:
    """The cost of a plan: the sum of its actions' costs."""
    return round(sum(item.params.cost_usd or 0.0 for item in actions), 2)
