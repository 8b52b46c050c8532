"""SQLModel tables of the twin: the network, its history, and the orchestration records."""

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, Table, UniqueConstraint, inspect
from sqlmodel import Field, SQLModel


def json_column() -> Any:
    """A JSON column that works on SQLite and PostgreSQL."""
    return Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


def table_of(model: type[SQLModel]) -> Table:
    """The SQL table a table model is mapped to (TypeError for a model mapped to something else)."""
    table = inspect(model).local_table
    if not isinstance(table, Table):
        raise TypeError(f"{model.__name__} is not mapped to a table")
    return table


# --- the network -----------------------------------------------------------


class TwinMeta(SQLModel, table=True):
    """Facts about the loaded scenario: seed, the twin's clock, history span."""

    key: str = Field(primary_key=True)
    value: str


class Location(SQLModel, table=True):
    """A distribution centre or a customer site."""

    code: str = Field(primary_key=True)
    kind: str = Field(index=True)  # dc | customer
    name: str
    region: str = Field(index=True)  # DAL, HOU, ATL, CHI, LAX
    lat: float
    lon: float
    tier: str = "standard"  # customers: gold | silver | standard
    window_start_min: int = 0  # delivery window, minutes after midnight
    window_end_min: int = 1440
    bays: int = 0  # DCs: maintenance bays
    technician_hours_per_day: float = 0.0


class Sku(SQLModel, table=True):
    """A stock-keeping unit."""

    code: str = Field(primary_key=True)
    name: str
    category: str
    unit_cost: float
    unit_price: float
    weight_kg: float


class SupplyTerm(SQLModel, table=True):
    """How a SKU is bought: its supplier, the regular lead time, and the faster expedited one (which pays the
    expedite premium rate on top of the unit cost)."""

    sku: str = Field(primary_key=True, foreign_key="sku.code")
    supplier: str
    supplier_name: str
    regular_lead_days: int
    expedited_lead_days: int
    source: str


class PurchaseOrder(SQLModel, table=True):
    """An order of a SKU from its supplier for a DC: stock on order until it lands on `arrives_on`."""

    id: str = Field(primary_key=True)
    sku: str = Field(foreign_key="sku.code", index=True)
    location: str = Field(foreign_key="location.code")
    qty: int
    service: str = Field(description="regular or expedited")
    cost_usd: float = Field(description="What the order costs beyond the goods: handling and any expedite premium")
    created_at: datetime
    arrives_on: date = Field(index=True)
    status: str = "open"
    decision_id: str | None = None


class InventoryPosition(SQLModel, table=True):
    """Stock of one SKU at one DC."""

    __table_args__ = (UniqueConstraint("sku", "location"),)
    id: int | None = Field(default=None, primary_key=True)
    sku: str = Field(foreign_key="sku.code", index=True)
    location: str = Field(foreign_key="location.code", index=True)
    on_hand: int = 0
    in_transit: int = 0
    allocated: int = 0
    safety_stock: int = 0
    reorder_point: int = 0
    updated_at: datetime


class DemandHistory(SQLModel, table=True):
    """Daily units sold of one SKU at one DC, with the price and promotion of the day."""

    __table_args__ = (UniqueConstraint("sku", "location", "day"),)
    id: int | None = Field(default=None, primary_key=True)
    sku: str = Field(index=True)
    location: str = Field(index=True)
    day: date = Field(index=True)
    units: int
    price: float
    promo: bool = False
    unmet: int = 0  # units demanded that the DC's stock could not serve (a stockout)


class StockDay(SQLModel, table=True):
    """The close of one day of one SKU's stock at one DC, written once a day by the twin's day roll: the history
    behind fill rate, stockout rate, inventory turns and the bullwhip ratio."""

    __table_args__ = (UniqueConstraint("sku", "location", "day"),)
    id: int | None = Field(default=None, primary_key=True)
    sku: str = Field(index=True)
    location: str = Field(index=True)
    day: date = Field(index=True)
    on_hand: int
    on_order: int = Field(description="Units on order or in transit towards the DC")
    safety_stock: int


class CalendarDay(SQLModel, table=True):
    """Holidays and events of one day, shared by every series."""

    day: date = Field(primary_key=True)
    holiday: str | None = None
    event: str | None = None


class RegionCondition(SQLModel, table=True):
    """Daily weather severity and congestion (0..1) in one region."""

    __table_args__ = (UniqueConstraint("region", "day"),)
    id: int | None = Field(default=None, primary_key=True)
    region: str = Field(index=True)
    day: date = Field(index=True)
    weather: float
    congestion: float


class Order(SQLModel, table=True):
    """A customer order served from one DC."""

    __table_args__ = (Index("ix_order_dc_status_promised_date", "dc", "status", "promised_date"),)
    id: str = Field(primary_key=True)
    customer: str = Field(foreign_key="location.code", index=True)
    dc: str = Field(foreign_key="location.code", index=True)
    created_at: datetime
    promised_date: date
    status: str = "open"  # open | shipped | delivered | cancelled


class OrderLine(SQLModel, table=True):
    """One SKU and quantity on an order."""

    id: int | None = Field(default=None, primary_key=True)
    order_id: str = Field(foreign_key="order.id", index=True)
    sku: str = Field(foreign_key="sku.code")
    qty: int


class Carrier(SQLModel, table=True):
    """A carrier with its base cost, weekly capacity and emissions."""

    code: str = Field(primary_key=True)
    name: str
    cost_per_mile: float
    capacity_per_week: int
    co2_kg_per_mile: float


class Lane(SQLModel, table=True):
    """A directed lane from a DC region to a destination region, e.g. DAL-HOU."""

    code: str = Field(primary_key=True)
    origin: str = Field(foreign_key="location.code")
    dest_region: str
    distance_miles: float


class CarrierLane(SQLModel, table=True):
    """A carrier's offer on a lane: rate, transit time, capacity and on-time history."""

    __table_args__ = (UniqueConstraint("carrier", "lane"),)
    id: int | None = Field(default=None, primary_key=True)
    carrier: str = Field(foreign_key="carrier.code", index=True)
    lane: str = Field(foreign_key="lane.code", index=True)
    rate_per_mile: float
    transit_days: int
    capacity_per_week: int
    on_time_rate: float
    shipments: int = 0


class Shipment(SQLModel, table=True):
    """A shipment of an order from a DC to a customer, by a carrier or an own truck."""

    __table_args__ = (Index("ix_shipment_shipped_at_carrier_lane", "shipped_at", "carrier", "lane"),)  # weekly loads
    id: str = Field(primary_key=True)
    order_id: str | None = Field(default=None, foreign_key="order.id", index=True)
    origin: str = Field(foreign_key="location.code", index=True)
    destination: str = Field(foreign_key="location.code", index=True)
    lane: str = Field(foreign_key="lane.code", index=True)
    carrier: str | None = Field(default=None, foreign_key="carrier.code", index=True)
    truck: str | None = Field(default=None, index=True)
    units: int
    weight_kg: float
    distance_miles: float
    shipped_at: datetime = Field(index=True)
    promised_at: datetime
    delivered_at: datetime | None = None
    status: str = Field(default="in_transit", index=True)  # planned | in_transit | delivered
    service: str = "standard"  # standard | expedited
    expedited_hours: float = 0.0  # transit hours an expedite took off the remaining trip


class ScanEvent(SQLModel, table=True):
    """A tracking scan of a shipment."""

    id: int | None = Field(default=None, primary_key=True)
    event_id: str = Field(unique=True)
    shipment_id: str = Field(foreign_key="shipment.id", index=True)
    kind: str  # pickup | depart | arrive_hub | delay | out_for_delivery | delivered
    location: str
    at: datetime
    delay_minutes: int = 0


class Vehicle(SQLModel, table=True):
    """An own-fleet truck."""

    code: str = Field(primary_key=True)
    home_dc: str = Field(foreign_key="location.code", index=True)
    capacity_units: int
    model_year: int
    odometer_miles: float
    status: str = "active"  # active | in_maintenance | out_of_service
    last_service_at: datetime


class TelemetryReading(SQLModel, table=True):
    """One daily telemetry summary of a truck."""

    __table_args__ = (UniqueConstraint("truck", "at"),)
    id: int | None = Field(default=None, primary_key=True)
    truck: str = Field(foreign_key="vehicle.code", index=True)
    at: datetime = Field(index=True)
    engine_temp_c: float
    oil_pressure_kpa: float
    vibration_mm_s: float
    miles_since_service: float
    fault_codes: int = 0


class TelemetryTotal(SQLModel, table=True):
    """Per truck, the count and the sums of its readings' sensors, kept by the database with every reading written,
    changed or deleted (triggers of migration 0018), so running means never re-read the telemetry."""

    truck: str = Field(primary_key=True)
    readings: int = 0
    engine_temp_c: float = 0.0
    oil_pressure_kpa: float = 0.0
    vibration_mm_s: float = 0.0
    fault_codes: float = 0.0


KEPT_BY_TRIGGERS = (TelemetryTotal,)  # tables the database writes itself as other tables change


class WorkOrder(SQLModel, table=True):
    """Maintenance on a truck: preventive or corrective (a corrective one records a failure)."""

    id: str = Field(primary_key=True)
    truck: str = Field(foreign_key="vehicle.code", index=True)
    kind: str  # preventive | corrective
    component: str | None = None
    opened_at: datetime
    scheduled_for: datetime | None = None
    closed_at: datetime | None = None
    bay_dc: str | None = None
    status: str = "open"  # open | scheduled | closed
    decision_id: str | None = None


class Route(SQLModel, table=True):
    """A planned delivery route of one truck on one day."""

    id: str = Field(primary_key=True)
    truck: str = Field(foreign_key="vehicle.code", index=True)
    dc: str = Field(foreign_key="location.code")
    day: date = Field(index=True)
    distance_miles: float = 0.0
    status: str = "planned"  # planned | replanned | cancelled
    decision_id: str | None = None


class RouteStop(SQLModel, table=True):
    """One stop of a route, in sequence."""

    id: int | None = Field(default=None, primary_key=True)
    route_id: str = Field(foreign_key="route.id", index=True)
    seq: int
    shipment_id: str = Field(foreign_key="shipment.id")
    customer: str = Field(foreign_key="location.code")
    eta_min: int


class TransferOrder(SQLModel, table=True):
    """A stock transfer between DCs."""

    id: str = Field(primary_key=True)
    sku: str = Field(foreign_key="sku.code")
    origin: str = Field(foreign_key="location.code")
    destination: str = Field(foreign_key="location.code")
    qty: int
    cost_usd: float
    created_at: datetime
    status: str = "open"
    decision_id: str | None = None
    arrives_on: date | None = None


class CostRate(SQLModel, table=True):
    """One rate of the cost model, versioned: an edit adds a version, the latest version is in force."""

    __table_args__ = (UniqueConstraint("key", "version"),)
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(index=True)
    version: int = 1
    value: float
    unit: str
    source: str
    updated_by: str = "system"
    updated_at: datetime


class TradeOffRule(SQLModel, table=True):
    """The architect's trade-off for carrier choice in one scope (a customer tier and a lane, `*` for any), versioned:
    each change adds a row, the latest version of a scope is in force, and plans cite the version they used."""

    __table_args__ = (UniqueConstraint("tier", "lane", "version"),)
    id: int | None = Field(default=None, primary_key=True)
    tier: str = Field(default="*", index=True)
    lane: str = Field(default="*", index=True)
    version: int = 1
    on_time: float = Field(description="USD of freight worth one USD of expected late penalty")
    co2: float = Field(description="USD of freight worth one USD of CO2 at the carbon price")
    reason: str
    set_by: str
    set_at: datetime


class ModelActivation(SQLModel, table=True):
    """One change of the version of a trained model that decisions use: the latest row of a model is in force."""

    __table_args__ = (UniqueConstraint("name", "seq"),)
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(index=True)
    seq: int = Field(description="1, 2, ... per model: two changes made at once cannot both be next")
    version: str
    previous: str | None = Field(default=None, description="The version a rollback of this change puts back")
    kind: str = Field(description="promote (by training or a person) or rollback")
    actor: str
    at: datetime


class ModelMonitorRun(SQLModel, table=True):
    """One measurement of a model version on the twin's clock: its population drift (PSI per watched feature) or its
    performance on the outcomes known in a window; kept over time, at most one of each kind a model version a day."""

    __table_args__ = (UniqueConstraint("model", "version", "kind", "day"),)
    id: int | None = Field(default=None, primary_key=True)
    model: str = Field(index=True)
    version: str
    kind: str = Field(description="drift or performance")
    day: date = Field(description="The twin's day of the measurement")
    measured_at: datetime = Field(description="The twin's clock at the measurement")
    window_start: datetime
    window_end: datetime
    rows: int = Field(description="Rows scored (drift) or labelled outcomes (performance) in the window")
    metrics: dict[str, float] = json_column()
    breaches: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class CustomerNotification(SQLModel, table=True):
    """A customer told about one of their shipments."""

    id: int | None = Field(default=None, primary_key=True)
    shipment_id: str = Field(index=True)
    customer: str | None = None
    at: datetime
    decision_id: str | None = None


class CarrierBooking(SQLModel, table=True):
    """Loads booked with a carrier for a week by a decision: they use its weekly capacity."""

    id: int | None = Field(default=None, primary_key=True)
    carrier: str = Field(index=True)
    lane: str | None = None
    week_start: date = Field(index=True)
    loads: float
    decision_id: str | None = None


# --- orchestration records ----------------------------------------------------


class ExceptionRecord(SQLModel, table=True):
    """An exception raised by a system, a detector or a person."""

    __tablename__ = "exception"  # pyright: ignore[reportAssignmentType]  # sqlmodel#98: stub says declared_attr
    id: str = Field(primary_key=True)
    type: str | None = Field(default=None, index=True)
    description: str | None = None
    refs: dict[str, Any] = json_column()
    severity: str = "medium"
    source: str = "api"
    occurred_at: datetime
    external_id: str | None = Field(default=None, unique=True)
    idempotency_key: str | None = Field(default=None, unique=True)
    status: str = Field(default="open", index=True)  # open | decided | closed | failed
    actor: str = "system"
    created_at: datetime
    request_hash: str | None = None  # of the body sent with the idempotency key
    subject: str | None = Field(default=None, index=True)  # type and key references, for merging duplicates
    duplicate_of: str | None = Field(default=None, index=True)  # the exception this one was merged into
    decided_at: datetime | None = None  # when it was decided; later exceptions on its subject merge for a window
    intake: str = Field(default="decided", index=True)  # received | deciding | decided | failed
    claim: str | None = None  # token of the process deciding it
    lease_until: datetime | None = None  # the claim lapses then (its process died) and anyone may take it over
    attempts: int = 0
    failure: str | None = None  # why its last try failed (intake `failed`: every try)


class DecisionRecord(SQLModel, table=True):
    """A specialist's decision on an exception; `payload` holds the full Decision."""

    __tablename__ = "decision"  # pyright: ignore[reportAssignmentType]  # sqlmodel#98: stub says declared_attr
    __table_args__ = (Index("ix_decision_status_updated_at", "status", "updated_at", "id"),)  # the inbox reads it alone
    id: str = Field(primary_key=True)
    exception_id: str = Field(foreign_key="exception.id", index=True)
    specialist: str = Field(index=True)
    status: str = Field(index=True)
    confidence: float
    cost_usd: float = 0.0  # the payload's expected cost, read (by the inbox) without reading the payload
    payload: dict[str, Any] = json_column()
    action_types: list[str] = Field(  # the payload's action types, read (by the sweep) without reading the payload
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    thread_id: str
    created_at: datetime
    updated_at: datetime
    twin_at: datetime | None = Field(default=None, index=True)  # the twin's clock when it was made
    fingerprint: dict[str, Any] = json_column()  # the facts the decision relied on, re-read before it executes
    verdict: dict[str, Any] | None = Field(
        default=None, sa_column=Column(JSON(none_as_null=True), nullable=True)
    )  # the verdict being applied
    claim: str | None = None  # token of the process applying the verdict
    lease_until: datetime | None = None
    precedent: dict[str, Any] | None = Field(
        default=None, sa_column=Column(JSON(none_as_null=True), nullable=True)
    )  # the knowledge base's copy of the final decision
    precedent_state: str | None = Field(default=None, index=True)  # pending (not yet indexed) | indexed
    precedent_claim: str | None = None  # token of the process indexing it
    precedent_lease_until: datetime | None = None
    checkpoints_pruned: bool = Field(default=False, index=True)  # its thread keeps only its latest checkpoint


class SubjectLock(SQLModel, table=True):
    """One row per exception subject, locked while an exception on it is taken in, so duplicates merge."""

    subject: str = Field(primary_key=True)
    touched_at: datetime


class RateCounter(SQLModel, table=True):
    """A fixed-window rate-limit counter that every API process shares."""

    name: str = Field(primary_key=True)
    count: int = 0
    expires_at: float = Field(index=True)  # unix seconds when its window ends


class ActionRecord(SQLModel, table=True):
    """One action of a decision and whether it was executed."""

    __tablename__ = "action"  # pyright: ignore[reportAssignmentType]  # sqlmodel#98: stub says declared_attr
    id: str = Field(primary_key=True)
    decision_id: str = Field(foreign_key="decision.id", index=True)
    type: str = Field(index=True)
    params: dict[str, Any] = json_column()
    status: str = "proposed"  # proposed | executed | rejected
    executed_at: datetime | None = None
    twin_at: datetime | None = Field(default=None, index=True)  # the twin's clock when it was executed


class Approval(SQLModel, table=True):
    """A human verdict on a decision that waited for approval."""

    id: int | None = Field(default=None, primary_key=True)
    decision_id: str = Field(foreign_key="decision.id", unique=True)
    actor: str
    verdict: str  # approve | reject | override
    reason: str | None = None
    at: datetime


class Override(SQLModel, table=True):
    """An edited decision, kept as labelled data."""

    id: int | None = Field(default=None, primary_key=True)
    decision_id: str = Field(foreign_key="decision.id", index=True)
    actor: str
    original_actions: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    new_actions: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    reason: str
    at: datetime


class AuditEvent(SQLModel, table=True):
    """One step of the process: who did what, when, with which versions."""

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(index=True)
    actor: str = Field(index=True)
    kind: str = Field(index=True)
    exception_id: str | None = Field(default=None, index=True)
    decision_id: str | None = Field(default=None, index=True)
    detail: dict[str, Any] = json_column()


class Policy(SQLModel, table=True):
    """Autonomy of one action type in a cohort (`*`, or a lane, site or carrier pattern such as DAL-*)."""

    __table_args__ = (UniqueConstraint("action_type", "cohort"),)
    id: int | None = Field(default=None, primary_key=True)
    action_type: str = Field(index=True)
    cohort: str = "*"
    level: str = "recommend"  # off | shadow | recommend | act
    autonomy_level: int = 2
    max_cost_usd: float | None = None
    min_confidence: float | None = None
    allowed_tiers: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    safety_critical: bool = False
    updated_by: str = "system"
    updated_at: datetime


class PolicySuggestionVerdict(SQLModel, table=True):
    """An architect's answer to a suggested policy change mined from overrides: accepted or declined, once."""

    id: str = Field(primary_key=True)  # the suggestion's id
    status: str  # accepted | declined
    actor: str
    at: datetime
    suggestion: dict[str, Any] = json_column()


class ProcessedEvent(SQLModel, table=True):
    """An ingested event id, so a replay changes nothing."""

    event_id: str = Field(primary_key=True)
    kind: str
    at: datetime


class OutboxMessage(SQLModel, table=True):
    """An event on its way to webhook subscribers: an executed action, or a decision made or changing status."""

    id: str = Field(primary_key=True)
    decision_id: str = Field(index=True)
    event_type: str = Field(index=True)
    payload: dict[str, Any] = json_column()
    created_at: datetime
    delivered_at: datetime | None = None
