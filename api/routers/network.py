"""The network as a map needs it: DCs, customers, lanes, today's routes, and what is at risk, with coordinates."""

from datetime import UTC, date, datetime

from fastapi import APIRouter
from pydantic import BaseModel, Field
from sqlmodel import Session, col, select

from agents.risks import at_risk
from api.auth import PrincipalDep
from api.deps import MaybeDeskDep, SessionDep
from twin import models as m
from twin import store

router = APIRouter(prefix="/v1", tags=["twin browser"])


class Place(BaseModel):
    """A DC or a customer site."""

    code: str
    name: str
    kind: str
    region: str
    tier: str
    lat: float
    lon: float


class LaneLine(BaseModel):
    """A lane from its origin DC to the DC of its destination region."""

    code: str
    origin: str
    destination: str
    distance_miles: float


class RouteLine(BaseModel):
    """One truck's route of the day: its DC, then its stops' customers in sequence."""

    route_id: str
    truck: str
    dc: str
    status: str
    stops: list[str]


class AtRisk(BaseModel):
    """Something that needs attention, where it is and why."""

    kind: str
    code: str
    at: str
    reason: str
    score: float | None = Field(default=None, description="P(late) of a shipment or P(fail) of a truck, by the models")


class Network(BaseModel):
    """Everything the network view draws, as of the twin's clock."""

    as_of: datetime | None
    places: list[Place]
    lanes: list[LaneLine]
    routes: list[RouteLine]
    at_risk: list[AtRisk]


def _routes(session: Session, day: date) -> list[RouteLine]:
    """Every DC's active routes of the day."""
    return [
        RouteLine(
            route_id=route.id,
            truck=route.truck,
            dc=route.dc,
            status=route.status,
            stops=[stop.customer for stop in stops],
        )
        for dc in store.dcs(session)
        for route, stops in store.routes_on(session, day, dc.code)
    ]


def _at_risk(session: Session, now: datetime) -> list[AtRisk]:
    """Shipments past their promise, trucks named by open exceptions or off the road, stock under its reorder point
    (what the twin's rows say without a model)."""
    late = session.exec(
        select(m.Shipment)
        .where(col(m.Shipment.status) != "delivered", col(m.Shipment.promised_at) < now)
        .order_by(col(m.Shipment.promised_at))
    ).all()
    risks = [
        AtRisk(
            kind="shipment",
            code=s.id,
            at=s.destination,
            reason=f"promised {s.promised_at:%Y-%m-%d %H:%M}, not delivered",
        )
        for s in late
    ]
    flagged = {
        exception.refs.get("asset_id")
        for exception in session.exec(select(m.ExceptionRecord).where(col(m.ExceptionRecord.status) == "open")).all()
    }
    for truck in store.fleet(session):
        if truck.code in flagged or truck.status != "active":
            reason = "named by an open exception" if truck.code in flagged else truck.status.replace("_", " ")
            risks.append(AtRisk(kind="truck", code=truck.code, at=truck.home_dc, reason=reason))
    low = session.exec(
        select(m.InventoryPosition)
        .where(
            col(m.InventoryPosition.on_hand) + col(m.InventoryPosition.in_transit)
            < col(m.InventoryPosition.reorder_point)
        )
        .order_by(col(m.InventoryPosition.location), col(m.InventoryPosition.sku))
    ).all()
    risks += [
        AtRisk(
            kind="stock",
            code=p.sku,
            at=p.location,
            reason=f"{p.on_hand} on hand + {p.in_transit} in transit < reorder point {p.reorder_point}",
        )
        for p in low
    ]
    return risks


def _likely(desk: MaybeDeskDep, known: list[AtRisk]) -> list[AtRisk]:
    """What the models find likely to go wrong now (late shipments, short positions, trucks likely to fail) that the
    twin's rows do not already list; nothing while no models are trained."""
    if desk is None:
        return []
    listed = {(risk.kind, risk.code, risk.at) for risk in known}
    return [
        AtRisk.model_validate(risk.model_dump())
        for risk in at_risk(desk.toolbox)
        if (risk.kind, risk.code, risk.at) not in listed
    ]


@router.get("/network", response_model=Network)
def network(session: SessionDep, desk: MaybeDeskDep, _principal: PrincipalDep) -> Network:
    """DCs and customers with coordinates, lanes, the twin's day of routes, and what is at risk now: shipments past
    their promise or likely to be late, stock under its reorder point or short of cover, trucks off the road, named
    by open exceptions or likely to fail."""
    now = store.as_of(session) or datetime.now(UTC)
    places = session.exec(select(m.Location).order_by(col(m.Location.kind).desc(), col(m.Location.code))).all()
    dc_of_region = {place.region: place.code for place in places if place.kind == "dc"}
    lanes = [
        LaneLine(
            code=lane.code,
            origin=lane.origin,
            destination=dc_of_region.get(lane.dest_region, lane.origin),
            distance_miles=lane.distance_miles,
        )
        for lane in session.exec(select(m.Lane).order_by(col(m.Lane.code))).all()
    ]
    known = _at_risk(session, now)
    return Network(
        as_of=now,
        places=[Place.model_validate(place, from_attributes=True) for place in places],
        lanes=lanes,
        routes=_routes(session, now.date()),
        at_risk=[*known, *_likely(desk, known)],
    )
