"""The twin browser: shipments, trucks, SKUs with their stock, lanes and carriers, searchable, each with its
detail and the decisions that name it."""

from datetime import datetime
from typing import Annotated, Generic, Literal, TypeVar

from fastapi import APIRouter, HTTPException, Query, status
from pydantic import BaseModel, Field
from sqlalchemy import String, cast, or_
from sqlmodel import Session, SQLModel, col, select

from agents.risks import failure_risks, late_risks
from agents.schemas import Decision
from api.auth import PrincipalDep
from api.deps import MaybeDeskDep, SessionDep
from api.paging import Cursor, Keyset, Limit, Offset, Page, paginate
from twin import models as m

router = APIRouter(prefix="/v1/twin", tags=["twin browser"])

Search = Annotated[str | None, Query(max_length=64, description="Part of a code or name, any case.")]
RECENT_TELEMETRY = 30
T = TypeVar("T")
ShipmentStatus = Literal["planned", "in_transit", "delivered"]
TruckStatus = Literal["active", "in_maintenance", "out_of_service"]


class ScoredPage(Page[T], Generic[T]):
    """A page of a listing with each listed row's risk by the models, by its code."""

    risk: dict[str, float] = Field(
        default_factory=dict,
        description="P(late) of each listed in-transit shipment, P(fail) of each listed truck; empty while no models "
        "are trained",
    )


class DecisionRef(BaseModel):
    """A decision that names an entity: enough to list it and link to it."""

    decision_id: str
    exception_id: str
    specialist: str
    status: str
    action_types: list[str]
    created_at: datetime


class ShipmentDetail(BaseModel):
    """A shipment, its scans in time order and the decisions that name it."""

    shipment: m.Shipment
    scans: list[m.ScanEvent]
    decisions: list[DecisionRef]


class TruckDetail(BaseModel):
    """A truck, its latest telemetry (newest first), its work orders and the decisions that name it."""

    truck: m.Vehicle
    telemetry: list[m.TelemetryReading]
    work_orders: list[m.WorkOrder]
    decisions: list[DecisionRef]


class SkuDetail(BaseModel):
    """A SKU, its stock position at every DC and the decisions that name it."""

    sku: m.Sku
    positions: list[m.InventoryPosition]
    decisions: list[DecisionRef]


class LaneDetail(BaseModel):
    """A lane, the carriers' offers on it and the decisions that name it."""

    lane: m.Lane
    offers: list[m.CarrierLane]
    decisions: list[DecisionRef]


class CarrierDetail(BaseModel):
    """A carrier, its offers on every lane and the decisions that name it."""

    carrier: m.Carrier
    offers: list[m.CarrierLane]
    decisions: list[DecisionRef]


def decisions_naming(session: Session, code: str, limit: int = 50) -> list[DecisionRef]:
    """The newest decisions whose record names the code (in a reference, an action or an evidence record)."""
    rows = session.exec(
        select(m.DecisionRecord)
        .where(cast(col(m.DecisionRecord.payload), String).contains(f'"{code}"'))
        .order_by(col(m.DecisionRecord.created_at).desc())
        .limit(limit)
    ).all()
    return [
        DecisionRef(
            decision_id=row.id,
            exception_id=row.exception_id,
            specialist=row.specialist,
            status=row.status,
            action_types=[action.type for action in Decision.of(row).actions],
            created_at=row.created_at,
        )
        for row in rows
    ]


def _listing(
    session: Session,
    table: type[SQLModel],
    keyset: Keyset,
    search: list,
    q: str | None,
    page: tuple[int, int, str | None],
    *where,
) -> Page:
    """A page (limit, offset, cursor) of a table's rows in the keyset's order, narrowed to rows where any searched
    column contains `q`."""
    statement = select(table).where(*where).order_by(*keyset.order())
    if q and q.strip():
        statement = statement.where(or_(*(column.ilike(f"%{q.strip()}%") for column in search)))
    limit, offset, cursor = page
    return paginate(session, statement, limit, offset, lambda row: row[0], keyset, cursor)


R = TypeVar("R", bound=SQLModel)


def _get(session: Session, table: type[R], code: str, noun: str) -> R:
    """One row by its code, or 404 naming what was asked for."""
    row = session.get(table, code)
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no {noun} with code {code!r}")
    return row


@router.get("/shipments", response_model=ScoredPage[m.Shipment])
def list_shipments(
    session: SessionDep,
    desk: MaybeDeskDep,
    _principal: PrincipalDep,
    q: Search = None,
    shipment_status: Annotated[ShipmentStatus | None, Query(alias="status", description="Only this status.")] = None,
    limit: Limit = 50,
    offset: Offset = 0,
    cursor: Cursor = None,
) -> ScoredPage[m.Shipment]:
    """Shipments, newest first, searched by id, origin, destination, lane or carrier, optionally of one status, with
    the late risk of those in transit."""
    where = [col(m.Shipment.status) == shipment_status] if shipment_status else []
    search = [
        col(m.Shipment.id),
        col(m.Shipment.origin),
        col(m.Shipment.destination),
        col(m.Shipment.lane),
        col(m.Shipment.carrier),
    ]
    page = _listing(
        session, m.Shipment, Keyset((col(m.Shipment.id),), True), search, q, (limit, offset, cursor), *where
    )
    moving = [row.id for row in page.items if row.status == "in_transit"]
    risk = late_risks(desk.toolbox, moving) if desk is not None and moving else {}
    return ScoredPage[m.Shipment](**dict(page), risk=risk)


@router.get("/shipments/{shipment_id}", response_model=ShipmentDetail)
def get_shipment(shipment_id: str, session: SessionDep, _principal: PrincipalDep) -> ShipmentDetail:
    """A shipment with its scans and decisions."""
    shipment = _get(session, m.Shipment, shipment_id, "shipment")
    scans = session.exec(
        select(m.ScanEvent)
        .where(col(m.ScanEvent.shipment_id) == shipment_id)
        .order_by(col(m.ScanEvent.at), col(m.ScanEvent.id))
    ).all()
    return ShipmentDetail(shipment=shipment, scans=list(scans), decisions=decisions_naming(session, shipment_id))


@router.get("/trucks", response_model=ScoredPage[m.Vehicle])
def list_trucks(
    session: SessionDep,
    desk: MaybeDeskDep,
    _principal: PrincipalDep,
    q: Search = None,
    truck_status: Annotated[TruckStatus | None, Query(alias="status", description="Only this status.")] = None,
    limit: Limit = 50,
    offset: Offset = 0,
    cursor: Cursor = None,
) -> ScoredPage[m.Vehicle]:
    """Own-fleet trucks by code, searched by code, home DC or status, optionally of one status, with each one's
    failure risk."""
    where = [col(m.Vehicle.status) == truck_status] if truck_status else []
    search = [col(m.Vehicle.code), col(m.Vehicle.home_dc), col(m.Vehicle.status)]
    page = _listing(
        session, m.Vehicle, Keyset((col(m.Vehicle.code),), False), search, q, (limit, offset, cursor), *where
    )
    scores = failure_risks(desk.toolbox) if desk is not None else {}
    listed = {row.code for row in page.items}
    return ScoredPage[m.Vehicle](**dict(page), risk={code: p for code, p in scores.items() if code in listed})


@router.get("/trucks/{code}", response_model=TruckDetail)
def get_truck(code: str, session: SessionDep, _principal: PrincipalDep) -> TruckDetail:
    """A truck with its latest telemetry, work orders and decisions."""
    truck = _get(session, m.Vehicle, code, "truck")
    telemetry = session.exec(
        select(m.TelemetryReading)
        .where(col(m.TelemetryReading.truck) == code)
        .order_by(col(m.TelemetryReading.at).desc())
        .limit(RECENT_TELEMETRY)
    ).all()
    orders = session.exec(
        select(m.WorkOrder).where(col(m.WorkOrder.truck) == code).order_by(col(m.WorkOrder.opened_at).desc())
    ).all()
    return TruckDetail(
        truck=truck, telemetry=list(telemetry), work_orders=list(orders), decisions=decisions_naming(session, code)
    )


@router.get("/skus", response_model=Page[m.Sku])
def list_skus(
    session: SessionDep,
    _principal: PrincipalDep,
    q: Search = None,
    limit: Limit = 50,
    offset: Offset = 0,
    cursor: Cursor = None,
) -> Page[m.Sku]:
    """SKUs by code, searched by code, name or category."""
    search = [col(m.Sku.code), col(m.Sku.name), col(m.Sku.category)]
    return _listing(session, m.Sku, Keyset((col(m.Sku.code),), False), search, q, (limit, offset, cursor))


@router.get("/skus/{code}", response_model=SkuDetail)
def get_sku(code: str, session: SessionDep, _principal: PrincipalDep) -> SkuDetail:
    """A SKU with its stock positions and decisions."""
    sku = _get(session, m.Sku, code, "SKU")
    positions = session.exec(
        select(m.InventoryPosition)
        .where(col(m.InventoryPosition.sku) == code)
        .order_by(col(m.InventoryPosition.location))
    ).all()
    return SkuDetail(sku=sku, positions=list(positions), decisions=decisions_naming(session, code))


@router.get("/lanes", response_model=Page[m.Lane])
def list_lanes(
    session: SessionDep,
    _principal: PrincipalDep,
    q: Search = None,
    limit: Limit = 50,
    offset: Offset = 0,
    cursor: Cursor = None,
) -> Page[m.Lane]:
    """Lanes by code, searched by code, origin DC or destination region."""
    search = [col(m.Lane.code), col(m.Lane.origin), col(m.Lane.dest_region)]
    return _listing(session, m.Lane, Keyset((col(m.Lane.code),), False), search, q, (limit, offset, cursor))


@router.get("/lanes/{code}", response_model=LaneDetail)
def get_lane(code: str, session: SessionDep, _principal: PrincipalDep) -> LaneDetail:
    """A lane with its carriers' offers and decisions."""
    lane = _get(session, m.Lane, code, "lane")
    offers = session.exec(
        select(m.CarrierLane).where(col(m.CarrierLane.lane) == code).order_by(col(m.CarrierLane.carrier))
    ).all()
    return LaneDetail(lane=lane, offers=list(offers), decisions=decisions_naming(session, code))


@router.get("/carriers", response_model=Page[m.Carrier])
def list_carriers(
    session: SessionDep,
    _principal: PrincipalDep,
    q: Search = None,
    limit: Limit = 50,
    offset: Offset = 0,
    cursor: Cursor = None,
) -> Page[m.Carrier]:
    """Carriers by code, searched by code or name."""
    search = [col(m.Carrier.code), col(m.Carrier.name)]
    return _listing(session, m.Carrier, Keyset((col(m.Carrier.code),), False), search, q, (limit, offset, cursor))


@router.get("/carriers/{code}", response_model=CarrierDetail)
def get_carrier(code: str, session: SessionDep, _principal: PrincipalDep) -> CarrierDetail:
    """A carrier with its lane offers and decisions."""
    carrier = _get(session, m.Carrier, code, "carrier")
    offers = session.exec(
        select(m.CarrierLane).where(col(m.CarrierLane.carrier) == code).order_by(col(m.CarrierLane.lane))
    ).all()
    return CarrierDetail(carrier=carrier, offers=list(offers), decisions=decisions_naming(session, code))
