"""Executing approved actions on the twin, each once, with a message for the systems of record; each executed action
changes the twin (at the twin's clock) so the next decision sees it."""

from datetime import UTC, datetime, timedelta
from typing import Any, assert_never

from sqlmodel import Session, col, delete, select

from twin import access, activations, policies, store
from twin import actions as a
from twin import models as m
from twin.policies import AFTER_APPROVAL
from twin.store import as_of, week_start


def _book(session: Session, carrier: str, lane: str | None, loads: float, decision_id: str, now: datetime) -> None:
    """Use a carrier's capacity of this week for a decision's loads."""
    session.add(
        m.CarrierBooking(carrier=carrier, lane=lane, week_start=week_start(now), loads=loads, decision_id=decision_id)
    )


def _switch_carrier(session: Session, params: a.SwitchCarrierParams, decision_id: str, now: datetime) -> dict[str, Any]:
    """Give a shipment to another carrier, using a load of its weekly capacity."""
    shipment = store.row(session, m.Shipment, params.shipment_id)
    shipment.carrier = params.to_carrier
    session.add(shipment)
    _book(session, params.to_carrier, shipment.lane, 1, decision_id, now)
    return {"shipment_id": shipment.id, "carrier": shipment.carrier}


def _expedite_shipment(
    session: Session, params: a.ExpediteShipmentParams, decision_id: str, now: datetime
) -> dict[str, Any]:
    """Put a shipment on expedited service: its remaining trip is shorter by the hours saved."""
    shipment = store.row(session, m.Shipment, params.shipment_id)
    shipment.service = "expedited"
    shipment.expedited_hours += params.hours_saved or 0.0
    session.add(shipment)
    return {"shipment_id": shipment.id, "service": shipment.service, "expedited_hours": shipment.expedited_hours}


def _notify_customer(
    session: Session, params: a.NotifyCustomerParams, decision_id: str, now: datetime
) -> dict[str, Any]:
    """Record that a shipment's customer was told."""
    shipment = session.get(m.Shipment, params.shipment_id)
    customer = params.customer or (shipment.destination if shipment else None)
    session.add(
        m.CustomerNotification(shipment_id=params.shipment_id, customer=customer, at=now, decision_id=decision_id)
    )
    return {"shipment_id": params.shipment_id, "customer": customer}


def _replan_route(session: Session, params: a.ReplanRouteParams, decision_id: str, now: datetime) -> dict[str, Any]:
    """Rewrite a DC's routes of a day with the new stop sequences; the removed trucks' routes are cancelled."""
    routes = {
        r.truck: r
        for r in session.exec(select(m.Route).where(col(m.Route.dc) == params.dc, col(m.Route.day) == params.day))
    }
    session.exec(delete(m.RouteStop).where(col(m.RouteStop.route_id).in_([r.id for r in routes.values()])))
    for route in routes.values():
        route.status, route.decision_id = "cancelled", decision_id
    for planned in params.routes:
        route = routes[planned.truck]
        route.status = "replanned"
        for seq, shipment_id in enumerate(planned.stops, start=1):
            shipment = store.row(session, m.Shipment, shipment_id)
            shipment.truck = route.truck
            session.add(
                m.RouteStop(
                    route_id=route.id, seq=seq, shipment_id=shipment_id, customer=shipment.destination, eta_min=0
                )
            )
    session.add_all(routes.values())
    return {"dc": params.dc, "routes": len(params.routes), "removed_truck": params.removed_truck}


def _tender_stops(session: Session, params: a.TenderStopsParams, decision_id: str, now: datetime) -> dict[str, Any]:
    """Hand a truck's shipments to a carrier and cancel its route of the day."""
    for shipment_id in params.shipments:
        shipment = store.row(session, m.Shipment, shipment_id)
        shipment.carrier, shipment.truck = params.carrier, None
        session.add(shipment)
    session.exec(delete(m.RouteStop).where(col(m.RouteStop.shipment_id).in_(params.shipments)))
    return {"carrier": params.carrier, "shipments": params.shipments}


def _position(session: Session, sku: str, location: str) -> m.InventoryPosition:
    """A stock position (created empty when missing)."""
    position = store.position(session, sku, location)
    return position or m.InventoryPosition(sku=sku, location=location, updated_at=datetime.now(UTC))


def _transfer_stock(session: Session, params: a.TransferStockParams, decision_id: str, now: datetime) -> dict[str, Any]:
    """Open a transfer order: stock leaves the origin and is in transit to the destination until it arrives."""
    qty = round(params.qty)
    origin, destination = _position(session, params.sku, params.from_), _position(session, params.sku, params.to)
    if origin.on_hand < qty:
        raise ValueError(f"{params.from_} holds {origin.on_hand} of {params.sku}, fewer than {qty}")
    origin.on_hand -= qty
    destination.in_transit += qty
    origin.updated_at = destination.updated_at = now
    order_id = f"TO-{decision_id}-{params.sku}-{params.from_}-{params.to}"
    session.add_all(
        [
            origin,
            destination,
            m.TransferOrder(
                id=order_id,
                sku=params.sku,
                origin=params.from_,
                destination=params.to,
                qty=qty,
                cost_usd=params.cost_usd or 0.0,
                created_at=now,
                decision_id=decision_id,
                arrives_on=now.date() + timedelta(days=params.lead_days or 0),
            ),
        ]
    )
    return {
        "transfer_order": order_id,
        "qty": qty,
        "arrives_on": (now.date() + timedelta(days=params.lead_days or 0)).isoformat(),
    }


def _purchase(
    session: Session,
    params: a.ExpeditePurchaseParams | a.PurchaseOrderParams,
    service: str,
    decision_id: str,
    now: datetime,
) -> dict[str, Any]:
    """Order stock from the SKU's supplier for a DC: it is on order (in transit) until it lands after its lead time."""
    term = store.supply_term(session, params.sku)
    lead = params.lead_days if params.lead_days is not None else term.regular_lead_days
    qty = round(params.qty)
    position = _position(session, params.sku, params.location)
    position.in_transit += qty
    position.updated_at = now
    order = m.PurchaseOrder(
        id=f"PO-{decision_id}-{params.sku}-{params.location}-{service}",
        sku=params.sku,
        location=params.location,
        qty=qty,
        service=service,
        cost_usd=params.cost_usd or 0.0,
        created_at=now,
        arrives_on=now.date() + timedelta(days=lead),
        decision_id=decision_id,
    )
    session.add_all([position, order])
    return {"purchase_order": order.id, "sku": params.sku, "location": params.location, "qty": qty}


def _set_reorder_point(session: Session, params: a.ReorderPointParams, now: datetime) -> dict[str, Any]:
    """Set a position's reorder point (its safety stock stays)."""
    position = _position(session, params.sku, params.location)
    before = position.reorder_point
    position.reorder_point = round(params.reorder_point)
    position.updated_at = now
    session.add(position)
    return {"reorder_point": position.reorder_point, "before": before}


def _raise_safety_stock(
    session: Session, params: a.RaiseSafetyStockParams, decision_id: str, now: datetime
) -> dict[str, Any]:
    """Set a position's new safety stock and reorder point."""
    position = _position(session, params.sku, params.location)
    position.safety_stock = round(params.safety_stock)
    position.reorder_point = round(params.reorder_point)
    position.updated_at = now
    session.add(position)
    return {"safety_stock": position.safety_stock, "reorder_point": position.reorder_point}


def _schedule_maintenance(
    session: Session, params: a.ScheduleMaintenanceParams, decision_id: str, now: datetime
) -> dict[str, Any]:
    """Open a scheduled work order holding a bay that day; a truck serviced today leaves the road and its route."""
    order_id = f"WO-{decision_id}-{params.truck}"
    session.add(
        m.WorkOrder(
            id=order_id,
            truck=params.truck,
            kind=params.kind,
            opened_at=now,
            scheduled_for=now + timedelta(days=params.day),
            bay_dc=params.dc,
            status="scheduled",
            decision_id=decision_id,
        )
    )
    if params.day == 0:
        vehicle = store.row(session, m.Vehicle, params.truck)
        vehicle.status = "in_maintenance"
        session.add(vehicle)
        for route in session.exec(
            select(m.Route).where(
                col(m.Route.truck) == params.truck, col(m.Route.day) == now.date(), col(m.Route.status) != "cancelled"
            )
        ):
            route.status, route.decision_id = "cancelled", decision_id
            session.add(route)
    return {"work_order": order_id, "truck": params.truck, "day": params.day}


def _retender_loads(session: Session, params: a.RetenderLoadsParams, decision_id: str, now: datetime) -> dict[str, Any]:
    """Book each re-tendered load with its new carrier: it uses that carrier's capacity this week."""
    for load in params.assignments:
        _book(session, load.carrier, load.lane, 1, decision_id, now)
    return {"from_carrier": params.from_carrier, "loads": len(params.assignments)}


def _book_carrier(session: Session, params: a.BookCarrierParams, decision_id: str, now: datetime) -> dict[str, Any]:
    """Book a carrier's truck on a lane (one load of its weekly capacity)."""
    _book(session, params.carrier, params.lane, 1, decision_id, now)
    return {"lane": params.lane, "carrier": params.carrier}


def _rollback_model(session: Session, params: a.RollbackModelParams, decision_id: str) -> dict[str, Any]:
    """Put the previous version of the model back in force, if the version the decision saw is still in force."""
    current = activations.latest(session, params.model)
    if current is None or current.version != params.from_version or current.previous != params.to_version:
        raise ValueError(
            f"model {params.model} is no longer at {params.from_version} with {params.to_version} before it"
        )
    activations.rollback(session, params.model, f"decision {decision_id}")
    return params.as_dict()


def _recommend_retraining(session: Session, params: a.RecommendRetrainingParams, decision_id: str) -> dict[str, Any]:
    """Record the recommendation to retrain a model (audited; a person runs the training)."""
    access.audit(
        session,
        f"decision {decision_id}",
        "model_retraining_recommended",
        model=params.model,
        version=params.version,
        reasons=params.reasons,
        decision_id=decision_id,
    )
    return params.as_dict()


def _lower_autonomy(session: Session, params: a.LowerAutonomyParams, decision_id: str) -> dict[str, Any]:
    """Set every rule of the action types that acts to recommend after approval, each change audited with the rule
    before and after."""
    lowered = []
    for row in policies.of_types(session, params.action_types):
        if row.level != "act":
            continue
        rule = {**policies.values(row), "level": params.level, "autonomy_level": AFTER_APPROVAL}
        policies.change(session, rule, f"decision {decision_id}", model=params.model, decision_id=decision_id)
        lowered.append(f"{row.action_type}@{row.cohort}")
    return {**params.as_dict(), "lowered": lowered}


def apply(session: Session, action: a.AnyAction, decision_id: str, now: datetime) -> dict[str, Any]:
    """Carry out one action on the twin; the result is what its outbox message reports."""
    match action:
        case a.SwitchCarrier(params=params):
            return _switch_carrier(session, params, decision_id, now)
        case a.NotifyCustomer(params=params):
            return _notify_customer(session, params, decision_id, now)
        case a.ExpediteShipment(params=params):
            return _expedite_shipment(session, params, decision_id, now)
        case a.ReplanRoute(params=params):
            return _replan_route(session, params, decision_id, now)
        case a.TenderStops(params=params):
            return _tender_stops(session, params, decision_id, now)
        case a.TransferStock(params=params):
            return _transfer_stock(session, params, decision_id, now)
        case a.ExpeditePurchase(params=params):
            return _purchase(session, params, "expedited", decision_id, now)
        case a.PlacePurchaseOrder(params=params):
            return _purchase(session, params, "regular", decision_id, now)
        case a.RaiseSafetyStock(params=params):
            return _raise_safety_stock(session, params, decision_id, now)
        case a.SetReorderPoint(params=params):
            return _set_reorder_point(session, params, now)
        case a.ScheduleMaintenance(params=params):
            return _schedule_maintenance(session, params, decision_id, now)
        case a.RetenderLoads(params=params):
            return _retender_loads(session, params, decision_id, now)
        case a.BookCarrier(params=params):
            return _book_carrier(session, params, decision_id, now)
        case a.RollbackModel(params=params):
            return _rollback_model(session, params, decision_id)
        case a.RecommendRetraining(params=params):
            return _recommend_retraining(session, params, decision_id)
        case a.LowerAutonomy(params=params):
            return _lower_autonomy(session, params, decision_id)
        case a.BookSpot(params=params) | a.PlanTenders(params=params):
            # carried out by the systems of record (the day's tenders follow the plan): the outbox message executes it
            return params.as_dict()
        case _:
            assert_never(action)


def execute_action(
    session: Session, decision_id: str, index: int, action: a.AnyAction, actor: str, row: m.ActionRecord | None = None
) -> bool:
    """Apply one action of a decision unless it already ran; returns whether it ran now. The twin's clock dates it.
    `row`: the action's row as the caller holds it in this transaction (read here otherwise)."""
    action_id = f"{decision_id}-A{index + 1}"
    record = row or session.get(m.ActionRecord, action_id)
    if record is not None and record.status == "executed":
        return False
    action_type, params = action.type, action.params.as_dict()
    now = datetime.now(UTC)
    twin_now = as_of(session) or now
    result = apply(session, action, decision_id, twin_now)
    record = record or m.ActionRecord(id=action_id, decision_id=decision_id, type=action_type, params=params)
    record.type, record.params, record.status = action_type, params, "executed"
    record.executed_at, record.twin_at = now, twin_now
    session.add(record)
    session.add(
        m.OutboxMessage(
            id=f"OUT-{action_id}",
            decision_id=decision_id,
            event_type=f"action.{action_type}",
            payload={"action_id": action_id, "type": action_type, "params": params, "result": result, "actor": actor},
            created_at=now,
        )
    )
    session.add(
        m.AuditEvent(
            at=now,
            actor=actor,
            kind="action.executed",
            decision_id=decision_id,
            detail={"action_id": action_id, "type": action_type, "result": result},
        )
    )
    session.flush()
    return True
