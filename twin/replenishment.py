"""The company's normal replenishment, the (s, S) review run at the close of every day: a position at or below its
reorder point (on hand, less allocated, plus in transit) is ordered up to the reorder point plus a week of its recent
demand, at regular terms. The day step runs it; the plans that must foresee it read the same rule here."""

import math
from datetime import date, timedelta

from sqlmodel import Session, col, func, select

from twin import models as m

STANDING_Z = 1.65  # the standing reorder point's safety stock: a 95% cycle service level over the lead time
ORDER_CYCLE_DAYS = 7  # normal replenishment orders about a week of demand beyond the reorder point
RECENT_DEMAND_DAYS = 28  # the demand history the replenishment review averages
REVIEW_DAYS = 1  # the review runs on every position daily


def recent_daily_demand(session: Session, today: date, sku: str | None = None) -> dict[tuple[str, str], float]:
    """Mean daily units demanded per (SKU, DC) over the recent days before `today`, as the review averages them (of
    one SKU when `sku` is given)."""
    since = today - timedelta(days=RECENT_DEMAND_DAYS)
    query = select(col(m.DemandHistory.sku), col(m.DemandHistory.location), func.avg(col(m.DemandHistory.units)))
    query = query.where(col(m.DemandHistory.day) >= since)
    if sku is not None:
        query = query.where(col(m.DemandHistory.sku) == sku)
    rows = session.exec(query.group_by(col(m.DemandHistory.sku), col(m.DemandHistory.location))).all()
    return {(sku, location): float(units or 0.0) for sku, location, units in rows}


def standing_levels(mean: float, std: float, lead_days: int) -> tuple[int, int]:
    """The company's standing safety stock and reorder point of a position whose daily demand has this mean and
    standard deviation: 1.65 deviations over the lead time, and the lead time's mean demand on top."""
    safety = round(STANDING_Z * std * math.sqrt(lead_days))
    return safety, round(mean * lead_days + safety)


def order_quantity(reorder_point: float, daily_demand: float, stock: float) -> int:
    """Units the review orders for a position holding `stock` (on hand less allocated plus in transit): none above the
    reorder point, else up to the reorder point plus a cycle of demand."""
    if stock > reorder_point:
        return 0
    return max(0, math.ceil(reorder_point + ORDER_CYCLE_DAYS * daily_demand - stock))


def review_order(position: m.InventoryPosition, daily_demand: float, change: float = 0.0) -> int:
    """Units the review orders for a position once its stock (on hand less allocated plus in transit) has moved by
    `change` units: the orders placed and the demand served before it runs."""
    stock = position.on_hand - position.allocated + position.in_transit + change
    return order_quantity(position.reorder_point, daily_demand, stock)


def inbound_schedule(session: Session, skus: list[str], today: date) -> dict[tuple[str, str], list[tuple[int, float]]]:
    """Open purchase orders and transfers of the SKUs with an arrival date, per (SKU, DC): (days from `today` until
    they land, units)."""
    purchases = session.exec(
        select(m.PurchaseOrder).where(col(m.PurchaseOrder.status) == "open", col(m.PurchaseOrder.sku).in_(skus))
    ).all()
    transfers = session.exec(
        select(m.TransferOrder).where(
            col(m.TransferOrder.status) == "open",
            col(m.TransferOrder.arrives_on).is_not(None),
            col(m.TransferOrder.sku).in_(skus),
        )
    ).all()
    landings = [(order.sku, order.location, order.arrives_on, order.qty) for order in purchases] + [
        (order.sku, order.destination, order.arrives_on, order.qty) for order in transfers if order.arrives_on
    ]
    schedule: dict[tuple[str, str], list[tuple[int, float]]] = {}
    for sku, dc, arrives_on, qty in landings:
        schedule.setdefault((sku, dc), []).append((max(0, (arrives_on - today).days), float(qty)))
    return schedule


def stock_now(free_on_hand: float, in_transit: float, inbound: list[tuple[int, float]]) -> float:
    """The stock that serves demand from today: on hand less allocated, and the in-transit units without a known
    landing (those in `inbound` land on their own days)."""
    return free_on_hand + max(0.0, in_transit - sum(units for _, units in inbound))


def exposure_days(supply: m.SupplyTerm) -> int:
    """The days a SKU's stock must last on its own: the review runs every day and its regular orders land after the
    regular lead time, so beyond that the running operation covers the demand."""
    return supply.regular_lead_days + REVIEW_DAYS
