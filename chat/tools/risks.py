"""The chat's risk overview of a DC: open shipments likely late, stock short of its forecast, trucks likely to fail."""

from datetime import datetime, timedelta

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlmodel import Session, col

from agents import maintenance
from agents.detectors import FAILURE_TRIGGER, LATE_TRIGGER
from agents.toolbox import Toolbox
from agents.twin_facts import TWIN_SOURCE
from chat.tools.arguments import TOP, dc_or_ask
from chat.tools.fleet import TruckRisk, truck_risk
from chat.tools.shipments import ShipmentRisk
from chat.tools.stock import MAX_WEEKS, StockRisk, available_units, demand_history, short_of_forecast
from tools.evidence import Evidence
from tools.late_risk import score_shipments
from twin import frames, store
from twin import models as m


class RisksArgs(BaseModel):
    """A DC and how many weeks ahead to look."""

    location: str | None = Field(default=None, description="A DC code, e.g. DC-DAL.")
    horizon_weeks: int = Field(default=1, ge=1, le=MAX_WEEKS, description="Weeks ahead.")


class RisksFacts(BaseModel):
    """What is at risk at a DC over the horizon: shipments, stock and trucks."""

    location: str
    horizon_weeks: int
    open_shipments: int
    likely_late: int = Field(description=f"Open shipments with P(late) >= {LATE_TRIGGER}.")
    riskiest_shipments: list[ShipmentRisk]
    below_reorder_point: list[str]
    stockout_risk: list[StockRisk] = Field(description="SKUs below their reorder point that the forecast says run out.")
    trucks_at_risk: list[TruckRisk] = Field(description=f"Trucks with P(fail) >= {FAILURE_TRIGGER}.")
    evidence: list[Evidence]


def _open_from(session: Session, dc: str, due_by: datetime) -> list[str]:
    """The shipments from a DC not delivered yet and promised by a moment."""
    return list(
        session.execute(
            select(col(m.Shipment.id)).where(
                col(m.Shipment.origin) == dc,
                col(m.Shipment.status) != "delivered",
                col(m.Shipment.promised_at) <= due_by,
            )
        ).scalars()
    )


def _positions_at(session: Session, dc: str) -> list[m.InventoryPosition]:
    """A DC's stock positions, by SKU."""
    return list(
        session.execute(
            select(m.InventoryPosition)
            .where(col(m.InventoryPosition.location) == dc)
            .order_by(col(m.InventoryPosition.sku))
        ).scalars()
    )


def risks_at_location(tb: Toolbox, args: RisksArgs) -> RisksFacts:
    """What is at risk at a DC over the next weeks: open shipments by P(late), SKUs below their reorder point or
    short of their demand forecast, and trucks likely to fail."""
    now = tb.now()
    with tb.session() as session:
        dc = dc_or_ask(session, args.location)
        ids = _open_from(session, dc, now + timedelta(weeks=args.horizon_weeks))
        shipments = frames.shipment_frame(session, ids=ids)
        positions = _positions_at(session, dc)
        below = [p for p in positions if available_units(p) < p.reorder_point]
        histories = {(p.sku, dc): demand_history(session, p.sku, dc) for p in below}
        fleet_size = len(store.fleet(session))
    promised = dict(zip(shipments["shipment_id"], shipments["promised_at"], strict=True))
    risks = sorted(score_shipments(tb.models.late, shipments, now=tb.now()) if ids else [], key=lambda r: -r.p_late)
    riskiest = [
        ShipmentRisk(
            shipment_id=r.shipment_id,
            p_late=r.p_late,
            lane=r.evidence.inputs["lane"],
            carrier=r.evidence.inputs["carrier"],
            promised_at=promised[r.shipment_id],
        )
        for r in risks[:TOP]
    ]
    stock, stock_evidence = short_of_forecast(tb, below, histories, args.horizon_weeks)
    trucks = [p for p in maintenance.fleet_priority(tb, fleet_size) if p.dc == dc and p.p_fail >= FAILURE_TRIGGER]
    positions_evidence = Evidence(
        id=f"twin:positions:{dc}",
        source=TWIN_SOURCE,
        inputs={"location": dc},
        facts={p.sku: {"available": available_units(p), "reorder_point": p.reorder_point} for p in below},
    )
    return RisksFacts(
        location=dc,
        horizon_weeks=args.horizon_weeks,
        open_shipments=len(risks),
        likely_late=sum(r.p_late >= LATE_TRIGGER for r in risks),
        riskiest_shipments=riskiest,
        below_reorder_point=[p.sku for p in below],
        stockout_risk=stock[:TOP],
        trucks_at_risk=[truck_risk(p) for p in trucks[:TOP]],
        evidence=[
            *(r.evidence for r in risks[:TOP]),
            positions_evidence,
            *stock_evidence[:TOP],
            *(p.evidence for p in trucks[:TOP]),
        ],
    )
