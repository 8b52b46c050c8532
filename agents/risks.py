"""What is at risk now, scored at the twin's clock by the detectors' models and triggers: shipments likely to be late,
stock positions running short, trucks likely to fail."""

from typing import Literal

from pydantic import BaseModel, Field
from sqlmodel import col, select

from agents import detectors
from agents.maintenance import fleet_risks
from agents.schemas import ExceptionType
from agents.toolbox import Toolbox
from tools.late_risk import score_shipments
from twin import frames
from twin import models as m


class Risk(BaseModel):
    """One thing likely to go wrong, where it is, how likely and why."""

    kind: Literal["shipment", "stock", "truck"]
    code: str
    at: str
    score: float | None = Field(description="P(late) of a shipment, P(fail) of a truck; none for stock")
    reason: str


def late_risks(tb: Toolbox, ids: list[str] | None = None) -> dict[str, float]:
    """P(late) of the in-transit shipments (those of `ids`, or all) at the twin's clock; overdue ones are 1."""
    with tb.session() as session:
        frame = frames.shipment_frame(session, ids=ids, status="in_transit")
    if frame.empty:
        return {}
    return {risk.shipment_id: risk.p_late for risk in score_shipments(tb.models.late, frame, now=tb.now())}


def failure_risks(tb: Toolbox) -> dict[str, float]:
    """P(fail) within the model's horizon of every truck, riskiest first."""
    return {risk.truck: risk.p_fail for risk in fleet_risks(tb)[0]}


def at_risk(tb: Toolbox) -> list[Risk]:
    """In-transit shipments at or above the late trigger, positions with less cover than the lead time, and trucks at
    or above the failure trigger, riskiest first within each kind."""
    late = {code: p for code, p in late_risks(tb).items() if p >= detectors.LATE_TRIGGER}
    with tb.session() as session:
        destinations = dict(
            session.exec(
                select(col(m.Shipment.id), col(m.Shipment.destination)).where(col(m.Shipment.id).in_(list(late)))
            ).all()
        )
    risks = [
        Risk(
            kind="shipment",
            code=code,
            at=destinations[code],
            score=p,
            reason=f"late risk {p:.2f}, at or above {detectors.LATE_TRIGGER:.2f}",
        )
        for code, p in sorted(late.items(), key=lambda item: -item[1])
    ]
    risks += [
        Risk(
            kind="stock",
            code=exception.refs.sku or "",
            at=exception.refs.location or "",
            score=None,
            reason=f"less than {detectors.COVER_DAYS_TRIGGER:g} days of cover at the recent demand",
        )
        for exception in detectors.stock_positions(tb)
        if exception.type == ExceptionType.stockout_risk
    ]
    scores, trucks = fleet_risks(tb)
    risks += [
        Risk(
            kind="truck",
            code=risk.truck,
            at=trucks[risk.truck].home_dc,
            score=risk.p_fail,
            reason=f"failure risk {risk.p_fail:.2f}, at or above {detectors.FAILURE_TRIGGER:.2f}; about "
            f"{risk.rul_days:g} days of useful life left",
        )
        for risk in scores
        if risk.p_fail >= detectors.FAILURE_TRIGGER
    ]
    return risks
