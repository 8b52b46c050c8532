"""Chat tools on shipments: one shipment's status and risk of arriving late, and the open shipments most likely late."""

from datetime import datetime

from langchain_core.tools import ToolException
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlmodel import col

from agents.toolbox import Toolbox
from agents.twin_facts import TWIN_SOURCE
from chat.tools.arguments import TOP, checked
from tools.evidence import Evidence
from tools.late_risk import OVERDUE_RULE, score_shipments
from twin import frames, store
from twin import models as m


class ShipmentArgs(BaseModel):
    """One shipment."""

    shipment_id: str | None = Field(default=None, description="A shipment, e.g. SHP-009267.")


class ShipmentRisksArgs(BaseModel):
    """Which open shipments to rank: towards or from a DC, due by a time."""

    origin: str | None = Field(default=None, description="Shipments leaving this DC, e.g. DC-DAL.")
    destination: str | None = Field(default=None, description="Shipments on lanes towards this DC, e.g. DC-DAL.")
    due_by: datetime | None = Field(default=None, description="Only shipments promised by then.")
    top: int = Field(default=TOP, ge=1, le=50, description="How many to list.")


class ShipmentRisk(BaseModel):
    """An open shipment's probability of arriving late."""

    shipment_id: str
    p_late: float
    lane: str
    carrier: str | None
    promised_at: datetime


class ShipmentFacts(BaseModel):
    """A shipment's status, promise and ETA, with its probability of arriving late while open."""

    shipment_id: str
    status: str
    lane: str
    carrier: str | None
    promised_at: datetime
    eta: datetime | None
    p_late: float | None
    late_by_rule: bool = Field(
        default=False, description="Past its promise and not delivered: late by the desk's rule."
    )
    evidence: list[Evidence]


class ShipmentRisksFacts(BaseModel):
    """Open shipments ranked by P(late)."""

    origin: str | None
    destination: str | None
    due_by: datetime | None
    open_shipments: int
    shipments: list[ShipmentRisk]
    evidence: list[Evidence]


def shipment_status(tb: Toolbox, args: ShipmentArgs) -> ShipmentFacts:
    """A shipment's status, promised time and ETA, and while open its probability of arriving late."""
    with tb.session() as session:
        if args.shipment_id is None:
            raise ToolException("name a shipment, e.g. SHP-009267")
        shipment = store.row(session, m.Shipment, checked(session, "shipment_id", args.shipment_id))
        frame = frames.shipment_frame(session, ids=[shipment.id]) if shipment.status != "delivered" else None
    risk = score_shipments(tb.models.late, frame, now=tb.now())[0] if frame is not None and len(frame) else None
    eta = shipment.delivered_at
    record = Evidence(
        id=f"twin:shipment:{shipment.id}",
        source=TWIN_SOURCE,
        inputs={"shipment_id": shipment.id},
        facts={
            "status": shipment.status,
            "lane": shipment.lane,
            "carrier": shipment.carrier,
            "promised_at": shipment.promised_at.isoformat(),
            "eta": eta.isoformat() if eta else None,
        },
    )
    return ShipmentFacts(
        shipment_id=shipment.id,
        status=shipment.status,
        lane=shipment.lane,
        carrier=shipment.carrier,
        promised_at=shipment.promised_at,
        eta=eta,
        p_late=risk.p_late if risk else None,
        late_by_rule=bool(risk and risk.evidence.source == OVERDUE_RULE),
        evidence=[record, *([risk.evidence] if risk else [])],
    )


def shipment_risks(tb: Toolbox, args: ShipmentRisksArgs) -> ShipmentRisksFacts:
    """Open shipments most likely to arrive late, towards or from a DC and due by a time, riskiest first."""
    with tb.session() as session:
        origin = checked(session, "location", args.origin) if args.origin else None
        destination = checked(session, "location", args.destination) if args.destination else None
        query = select(col(m.Shipment.id)).where(col(m.Shipment.status) != "delivered")
        if origin:
            query = query.where(col(m.Shipment.lane).startswith(origin.removeprefix("DC-") + "-"))
        if destination:
            query = query.where(col(m.Shipment.lane).endswith("-" + destination.removeprefix("DC-")))
        if args.due_by:
            query = query.where(col(m.Shipment.promised_at) <= args.due_by)
        ids = list(session.execute(query).scalars())
        shipments = frames.shipment_frame(session, ids=ids)
    promised = dict(zip(shipments["shipment_id"], shipments["promised_at"], strict=True))
    risks = sorted(score_shipments(tb.models.late, shipments, now=tb.now()) if ids else [], key=lambda r: -r.p_late)
    top = risks[: args.top]
    return ShipmentRisksFacts(
        origin=origin,
        destination=destination,
        due_by=args.due_by,
        open_shipments=len(risks),
        shipments=[
            ShipmentRisk(
                shipment_id=r.shipment_id,
                p_late=r.p_late,
                lane=r.evidence.inputs["lane"],
                carrier=r.evidence.inputs["carrier"],
                promised_at=promised[r.shipment_id],
            )
            for r in top
        ],
        evidence=[r.evidence for r in top],
    )
