"""Pricing an action a person wrote: the same cost model and rates the specialists price their plans with, so an
override costs what the same plan would cost had the desk proposed it."""

from datetime import date, timedelta

from sqlalchemy import func
from sqlmodel import Session, col, select

from tools import costs
from tools.costs import Rates
from twin import actions as a
from twin import models as m
from twin import replenishment, store

RECENT_DAYS = 28  # the demand history an order's holding time is judged from


def priced(session: Session, rates: Rates, actions: list[a.AnyAction]) -> list[a.AnyAction]:
    """The actions with every missing price filled in by the cost model; a price already set is kept."""
    return [
        action
        if action.params.cost_usd is not None
        else action.model_copy(
            update={"params": action.params.model_copy(update={"cost_usd": price(session, rates, action)})}
        )
        for action in actions
    ]


def price(session: Session, rates: Rates, action: a.AnyAction) -> float:
    """USD of one action on the twin as it stands, by the cost model."""
    match action:
        case a.NotifyCustomer():
            return costs.notify(rates)
        case a.ExpediteShipment(params=p):
            return costs.expedite_shipment(rates, _miles(session, p.shipment_id))
        case a.SwitchCarrier(params=p):
            shipment = session.get(m.Shipment, p.shipment_id)
            lane = shipment.lane if shipment else None
            return costs.carrier_move(_rate(session, p.to_carrier, lane), _miles(session, p.shipment_id) / 2)
        case a.TenderStops(params=p):
            local = [2 * _miles(session, code) for code in p.shipments]
            return costs.tender_stops(rates, _rate(session, p.carrier, None), local)
        case a.BookCarrier(params=p):
            lane = session.get(m.Lane, p.lane)
            return costs.carrier_move(_rate(session, p.carrier, p.lane), lane.distance_miles if lane else 0.0)
        case a.TransferStock(params=p):
            return round(p.qty * _transfer_per_unit(session, rates, p), 2)
        case a.ExpeditePurchase(params=p) | a.PlacePurchaseOrder(params=p):
            sku = session.get(m.Sku, p.sku)
            unit_cost = sku.unit_cost if sku else 0.0
            held = costs.days_held(p.qty, _daily_demand(session, p.sku, p.location))
            return costs.purchase(rates, p.qty, unit_cost, isinstance(action, a.ExpeditePurchase), held)
        case a.SetReorderPoint(params=p):
            return _reorder_point_holding(session, rates, p)
        case a.ScheduleMaintenance(params=p):
            return costs.workshop_visit(rates, p.service or "routine", p.service_hours or 0.0)
        case a.BookSpot(params=p):
            contract = _rate(session, p.from_carrier, None) * _mean_lane_miles(session)
            return costs.spot_move(rates, contract * p.loads)
        case (
            a.ReplanRoute()
            | a.RetenderLoads()
            | a.RaiseSafetyStock()
            | a.PlanTenders()
            | a.RollbackModel()
            | a.RecommendRetraining()
            | a.LowerAutonomy()
        ):
            # a re-plan, a re-tender at contract rates, new stock levels, a tender plan (whose freight each
            # shipment pays) and the governance of a model buy nothing by themselves
            return 0.0


def _reorder_point_holding(session: Session, rates: Rates, params: a.ReorderPointParams) -> float:
    """The holding of the units a higher reorder point keeps on the shelf over an order cycle (a lower one adds
    none)."""
    sku = session.get(m.Sku, params.sku)
    position = store.position(session, params.sku, params.location)
    before = position.reorder_point if position else 0
    unit_cost = sku.unit_cost if sku else 0.0
    return costs.holding(rates, params.reorder_point - before, unit_cost, replenishment.ORDER_CYCLE_DAYS)


def _miles(session: Session, shipment_id: str) -> float:
    """A shipment's trip length (0 for a shipment the twin does not hold)."""
    shipment = session.get(m.Shipment, shipment_id)
    return shipment.distance_miles if shipment else 0.0


def _rate(session: Session, carrier: str, lane: str | None) -> float:
    """A carrier's contract rate per mile on a lane, or its list rate anywhere."""
    offers = store.carrier_lanes(session, lane=lane, carrier=carrier) if lane else []
    if offers:
        return offers[0].rate_per_mile
    listed = session.get(m.Carrier, carrier)
    return listed.cost_per_mile if listed else 0.0


def _transfer_per_unit(session: Session, rates: Rates, params: a.TransferStockParams) -> float:
    """USD per unit moved on a transfer's lane: its share of a truckload by weight plus handling."""
    code = params.lane
    lane = session.get(m.Lane, code)
    sku = session.get(m.Sku, params.sku)
    offers = store.carrier_lanes(session, lane=code)
    rate = min((offer.rate_per_mile for offer in offers), default=0.0)
    return costs.transfer_per_unit(
        rates, rate, lane.distance_miles if lane else 0.0, sku.weight_kg if sku else 0.0, costs.TRUCKLOAD_KG
    )


def _daily_demand(session: Session, sku: str, dc: str) -> float:
    """A position's mean daily units over the recent history."""
    now = store.as_of(session)
    since = now.date() - timedelta(days=RECENT_DAYS) if now else date.min
    mean = session.exec(
        select(func.avg(col(m.DemandHistory.units))).where(
            col(m.DemandHistory.sku) == sku, col(m.DemandHistory.location) == dc, col(m.DemandHistory.day) >= since
        )
    ).one()
    return float(mean or 0.0)


def _mean_lane_miles(session: Session) -> float:
    """The mean length of the network's lanes: the trip a spot load is priced on when none is named."""
    return float(session.exec(select(func.avg(col(m.Lane.distance_miles)))).one() or 0.0)
