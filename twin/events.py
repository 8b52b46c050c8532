"""Event ingestion from the systems of record: validated, deduplicated by event id, applied whole or not at all."""

from datetime import UTC, date, datetime
from typing import Annotated, Literal, TypeVar

from pydantic import AwareDatetime, BaseModel, Field
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel, col, select

from twin import models as m
from twin import store
from twin.quality import Reason, too_old

Code = Annotated[str, Field(min_length=1, max_length=64)]
Quantity = Annotated[int, Field(ge=-(10**9), le=10**9)]
R = TypeVar("R", bound=SQLModel)


class ShipmentScan(BaseModel):
    """A tracking scan of a shipment (TMS)."""

    kind: Literal["shipment_scan"]
    event_id: str = Field(min_length=1, max_length=128)
    shipment_id: Code
    scan: Literal["pickup", "depart", "arrive_hub", "delay", "out_for_delivery", "delivered"]
    location: str = Field(min_length=1, max_length=128)
    at: AwareDatetime
    delay_minutes: int = Field(default=0, ge=0, le=14 * 24 * 60)


class InventoryMovement(BaseModel):
    """A change to a stock position (WMS): receipts, picks, adjustments."""

    kind: Literal["inventory_movement"]
    event_id: str = Field(min_length=1, max_length=128)
    sku: Code
    location: Code
    on_hand_delta: Quantity = 0
    in_transit_delta: Quantity = 0
    allocated_delta: Quantity = 0
    reason: str = Field(default="adjustment", max_length=200)
    at: AwareDatetime


class Telemetry(BaseModel):
    """A telemetry summary from a truck (CMMS / telematics)."""

    kind: Literal["telemetry"]
    event_id: str = Field(min_length=1, max_length=128)
    truck: Code
    at: AwareDatetime
    engine_temp_c: float = Field(ge=-40, le=200)
    oil_pressure_kpa: float = Field(ge=0, le=1000)
    vibration_mm_s: float = Field(ge=0, le=100)
    miles_since_service: float = Field(ge=0, le=10**7)
    fault_codes: int = Field(default=0, ge=0, le=10**6)


class OrderLineIn(BaseModel):
    """One line of an incoming order."""

    sku: Code
    qty: int = Field(gt=0, le=10**9)


class OrderPlaced(BaseModel):
    """A new customer order (ERP)."""

    kind: Literal["order"]
    event_id: str = Field(min_length=1, max_length=128)
    order_id: str = Field(min_length=1, max_length=128)
    customer: Code
    dc: Code
    promised_date: date
    lines: list[OrderLineIn] = Field(min_length=1)
    at: AwareDatetime


Event = Annotated[ShipmentScan | InventoryMovement | Telemetry | OrderPlaced, Field(discriminator="kind")]


class EventBatch(BaseModel):
    """A batch of events, applied whole or rejected whole."""

    events: list[Event] = Field(min_length=1, max_length=5000)


class IngestResult(BaseModel):
    """How many events of a batch were applied and how many were replays."""

    accepted: int
    duplicates: int


class EventRejected(ValueError):
    """A record of the batch does not fit the twin; `loc` names the record and field, `reason` the quality gate's."""

    def __init__(self, index: int, field: str, message: str, reason: Reason) -> None:
        super().__init__(f"events[{index}].{field}: {message}")
        self.loc = ("body", "events", index, field)
        self.message = message
        self.reason: Reason = reason


def _require(session: Session, model: type[R], key: str, index: int, field: str) -> R:
    """The row with this primary key, or reject the batch naming the field."""
    row = session.get(model, key)
    if row is None:
        raise EventRejected(index, field, f"unknown {model.__name__.lower()} {key!r}", "reference")
    return row


def _apply_scan(session: Session, event: ShipmentScan, index: int) -> None:
    """Record a scan; a delivered scan closes the shipment."""
    shipment = _require(session, m.Shipment, event.shipment_id, index, "shipment_id")
    session.add(
        m.ScanEvent(
            event_id=event.event_id,
            shipment_id=event.shipment_id,
            kind=event.scan,
            location=event.location,
            at=event.at,
            delay_minutes=event.delay_minutes,
        )
    )
    if event.scan == "delivered":
        shipment.delivered_at, shipment.status = event.at, "delivered"
    elif shipment.status == "planned":
        shipment.status = "in_transit"
    session.add(shipment)


def _apply_movement(session: Session, event: InventoryMovement, index: int) -> None:
    """Adjust a stock position, refusing to take any quantity below zero."""
    _require(session, m.Sku, event.sku, index, "sku")
    _require(session, m.Location, event.location, index, "location")
    position = store.position(session, event.sku, event.location)
    if position is None:
        position = m.InventoryPosition(sku=event.sku, location=event.location, updated_at=event.at)
    for field in ("on_hand", "in_transit", "allocated"):
        value = getattr(position, field) + getattr(event, f"{field}_delta")
        if value < 0:
            raise EventRejected(
                index, f"{field}_delta", f"would take {field} of {event.sku} at {event.location} below zero", "range"
            )
        setattr(position, field, value)
    position.updated_at = event.at
    session.add(position)


def _apply_telemetry(session: Session, event: Telemetry, index: int) -> None:
    """Store a telemetry reading."""
    _require(session, m.Vehicle, event.truck, index, "truck")
    session.add(m.TelemetryReading(**event.model_dump(exclude={"kind", "event_id"})))


def _apply_order(session: Session, event: OrderPlaced, index: int) -> None:
    """Store a new order and its lines."""
    _require(session, m.Location, event.customer, index, "customer")
    _require(session, m.Location, event.dc, index, "dc")
    if session.get(m.Order, event.order_id) is not None:
        raise EventRejected(
            index, "order_id", f"order {event.order_id!r} already exists under another event id", "duplicate"
        )
    for line in event.lines:
        _require(session, m.Sku, line.sku, index, "lines.sku")
    session.add(
        m.Order(
            id=event.order_id,
            customer=event.customer,
            dc=event.dc,
            created_at=event.at,
            promised_date=event.promised_date,
        )
    )
    session.flush()
    session.add_all(m.OrderLine(order_id=event.order_id, sku=line.sku, qty=line.qty) for line in event.lines)


def _apply(session: Session, event: Event, index: int) -> None:
    """Apply one event to the twin by its kind."""
    match event:
        case ShipmentScan():
            _apply_scan(session, event, index)
        case InventoryMovement():
            _apply_movement(session, event, index)
        case Telemetry():
            _apply_telemetry(session, event, index)
        case OrderPlaced():
            _apply_order(session, event, index)


def ingest(session: Session, batch: EventBatch, max_age_h: float | None = None) -> IngestResult:
    """Apply a batch in the caller's transaction; replays are skipped; any bad record raises EventRejected, an event
    older than `max_age_h` hours before the twin's clock among them."""
    ids = [event.event_id for event in batch.events]
    seen = set(
        session.exec(select(col(m.ProcessedEvent.event_id)).where(col(m.ProcessedEvent.event_id).in_(ids))).all()
    )
    clock = store.as_of(session) if max_age_h is not None else None
    accepted = 0
    for index, event in enumerate(batch.events):
        if event.event_id in seen:
            continue
        seen.add(event.event_id)
        if max_age_h is not None and (late := too_old(event.at, clock, max_age_h)):
            raise EventRejected(index, "at", late, "late")
        _apply(session, event, index)
        session.add(m.ProcessedEvent(event_id=event.event_id, kind=event.kind, at=datetime.now(UTC)))
        try:
            session.flush()
        except IntegrityError as error:
            raise EventRejected(index, "event_id", "conflicts with a record already stored", "duplicate") from error
        accepted += 1
    return IngestResult(accepted=accepted, duplicates=len(ids) - accepted)
