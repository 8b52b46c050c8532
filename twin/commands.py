"""Executing approved actions on the twin, each once, with a message for the systems of record."""

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

from sqlmodel import Session, delete, select

from twin import models as m


def _switch_carrier(session: Session, params: dict, decision_id: str, now: datetime) -> dict:
    """Give a shipment to another carrier."""
    shipment = session.get(m.Shipment, params["shipment_id"])
    shipment.carrier = params["to_carrier"]
    session.add(shipment)
    return {"shipment_id": shipment.id, "carrier": shipment.carrier}


def _replan_route(session: Session, params: dict, decision_id: str, now: datetime) -> dict:
    """Rewrite a DC's routes of a day with the new stop sequences; the removed truck's route is cancelled."""
    day = date.fromisoformat(params["day"])
    routes = {r.truck: r for r in session.exec(select(m.Route).where(m.Route.dc == params["dc"], m.Route.day == day))}
    session.exec(delete(m.RouteStop).where(m.RouteStop.route_id.in_([r.id for r in routes.values()])))
    for route in routes.values():
        route.status, route.decision_id = "cancelled", decision_id
    for planned in params["routes"]:
        route = routes[planned["truck"]]
        route.status = "replanned"
        for seq, shipment_id in enumerate(planned["stops"], start=1):
            shipment = session.get(m.Shipment, shipment_id)
            shipment.truck = route.truck
            session.add(m.RouteStop(route_id=route.id, seq=seq, shipment_id=shipment_id,
                                    customer=shipment.destination, eta_min=0))
    session.add_all(routes.values())
    return {"dc": params["dc"], "routes": len(params["routes"]), "removed_truck": params["removed_truck"]}


def _tender_stops(session: Session, params: dict, decision_id: str, now: datetime) -> dict:
    """Hand a truck's shipments to a carrier and cancel its route of the day."""
    for shipment_id in params["shipments"]:
        shipment = session.get(m.Shipment, shipment_id)
        shipment.carrier, shipment.truck = params["carrier"], None
        session.add(shipment)
    session.exec(delete(m.RouteStop).where(m.RouteStop.shipment_id.in_(params["shipments"])))
    return {"carrier": params["carrier"], "shipments": params["shipments"]}


def _position(session: Session, sku: str, location: str) -> m.InventoryPosition:
    """A stock position (created empty when missing)."""
    position = session.exec(select(m.InventoryPosition).where(
        m.InventoryPosition.sku == sku, m.InventoryPosition.location == location)).first()
    return position or m.InventoryPosition(sku=sku, location=location, updated_at=datetime.now(UTC))


def _transfer_stock(session: Session, params: dict, decision_id: str, now: datetime) -> dict:
    """Open a transfer order: stock leaves the origin and is in transit to the destination."""
    qty = int(round(params["qty"]))
    origin, destination = _position(session, params["sku"], params["from"]), _position(session, params["sku"], params["to"])
    if origin.on_hand < qty:
        raise ValueError(f"{params['from']} holds {origin.on_hand} of {params['sku']}, fewer than {qty}")
    origin.on_hand -= qty
    destination.in_transit += qty
    origin.updated_at = destination.updated_at = now
    order_id = f"TO-{decision_id}-{params['from']}-{params['to']}"
    session.add_all([origin, destination, m.TransferOrder(
        id=order_id, sku=params["sku"], origin=params["from"], destination=params["to"], qty=qty,
        cost_usd=float(params.get("cost_usd", 0.0)), created_at=now, decision_id=decision_id)])
    return {"transfer_order": order_id, "qty": qty}


def _expedite_purchase(session: Session, params: dict, decision_id: str, now: datetime) -> dict:
    """Expect an expedited supplier delivery at a DC."""
    position = _position(session, params["sku"], params["location"])
    position.in_transit += int(round(params["qty"]))
    position.updated_at = now
    session.add(position)
    return {"sku": params["sku"], "location": params["location"], "qty": int(round(params["qty"]))}


def _raise_safety_stock(session: Session, params: dict, decision_id: str, now: datetime) -> dict:
    """Set a position's new safety stock and reorder point."""
    position = _position(session, params["sku"], params["location"])
    position.safety_stock = int(round(params["safety_stock"]))
    position.reorder_point = int(round(params["reorder_point"]))
    position.updated_at = now
    session.add(position)
    return {"safety_stock": position.safety_stock, "reorder_point": position.reorder_point}


def _schedule_maintenance(session: Session, params: dict, decision_id: str, now: datetime) -> dict:
    """Open a scheduled work order; a truck serviced today leaves the road."""
    day = int(params.get("day", 0))
    order_id = f"WO-{decision_id}"
    session.add(m.WorkOrder(id=order_id, truck=params["truck"], kind=params.get("kind", "preventive"),
                            opened_at=now, scheduled_for=now + timedelta(days=day), bay_dc=params.get("dc"),
                            status="scheduled", decision_id=decision_id))
    if day == 0:
        vehicle = session.get(m.Vehicle, params["truck"])
        vehicle.status = "in_maintenance"
        session.add(vehicle)
    return {"work_order": order_id, "truck": params["truck"], "day": day}


def _message_only(session: Session, params: dict, decision_id: str, now: datetime) -> dict:
    """Actions carried out by the systems of record: the outbox message is the execution."""
    return dict(params)


EXECUTORS: dict[str, Callable[[Session, dict, str, datetime], dict]] = {
    "switch_carrier": _switch_carrier,
    "replan_route": _replan_route,
    "tender_stops": _tender_stops,
    "transfer_stock": _transfer_stock,
    "expedite_purchase": _expedite_purchase,
    "raise_safety_stock": _raise_safety_stock,
    "schedule_maintenance": _schedule_maintenance,
    "notify_customer": _message_only,
    "expedite_shipment": _message_only,
    "retender_loads": _message_only,
    "book_spot": _message_only,
    "book_carrier": _message_only,
}


def execute_action(session: Session, decision_id: str, index: int, action_type: str, params: dict,
                   actor: str) -> bool:
    """Apply one action of a decision unless it already ran; returns whether it ran now."""
    action_id = f"{decision_id}-A{index + 1}"
    record = session.get(m.ActionRecord, action_id)
    if record is not None and record.status == "executed":
        return False
    now = datetime.now(UTC)
    result = EXECUTORS[action_type](session, params, decision_id, now)
    record = record or m.ActionRecord(id=action_id, decision_id=decision_id, type=action_type, params=params)
    record.type, record.params, record.status, record.executed_at = action_type, params, "executed", now
    session.add(record)
    session.add(m.OutboxMessage(id=f"OUT-{action_id}", decision_id=decision_id, event_type=f"action.{action_type}",
                                payload={"action_id": action_id, "type": action_type, "params": params,
                                         "result": result, "actor": actor}, created_at=now))
    session.add(m.AuditEvent(at=now, actor=actor, kind="action.executed", decision_id=decision_id,
                             detail={"action_id": action_id, "type": action_type, "result": result}))
    session.flush()
    return True
