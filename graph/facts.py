"""The facts a decision relies on: read from the twin when it is made, re-read before it executes."""

from typing import Any

from pydantic import BaseModel
from sqlmodel import Session, col, func, select

from agents.schemas import Action, Refs
from twin import models as m
from twin import store
from twin.actions import CODE_PARAMS, ScheduleMaintenance, references

RELATIVE_TOLERANCE = 0.05  # a stock figure that moved by more than 5% (and more than one unit) changed materially


def _subjects(refs: Refs, actions: list[Action]) -> tuple[set[str], set[tuple[str, str]], set[str]]:
    """The shipments, stock positions (SKU, DC) and trucks that the exception and the actions name."""
    shipments = {refs.shipment_id} if refs.shipment_id else set()
    trucks = {refs.asset_id} if refs.asset_id else set()
    positions = {(refs.sku, refs.location)} if refs.sku and refs.location else set()
    for action in actions:
        named = references(action)
        shipments.update(named.shipments)
        trucks.update(named.trucks)
        positions.update(named.positions)
    return shipments, positions, trucks


class StaleFacts(ValueError):
    """The twin moved between a decision's reading and its execution: it must be decided again on current facts."""


def booked_trucks(actions: list[Action]) -> list[str]:
    """The trucks the actions book into the workshop, sorted (the order their locks are taken in)."""
    return sorted({action.params.truck for action in actions if isinstance(action, ScheduleMaintenance)})


def already_booked(session: Session, actions: list[Action]) -> list[str]:
    """The trucks the actions would book that have a work order open already, in words: a truck is booked once."""
    return [
        f"truck {code}: work order {order.id} is {order.status} already"
        for code in booked_trucks(actions)
        for order in store.open_work_orders(session, code)[:1]
    ]


class Reference(BaseModel):
    """One code that an edited action's parameter names."""

    action: int
    param: str
    code: str


def outside(refs: Refs, plan: list[Action], edited: list[Action]) -> list[Reference]:
    """The shipments, trucks and SKUs that edited actions name beyond the exception's subject and its plan."""
    shipments, positions, trucks = _subjects(refs, plan)
    skus = {sku for sku, _ in positions} | ({refs.sku} if refs.sku else set())
    skus |= {code for action in plan for code in references(action).named("sku")}
    allowed = {"shipment": shipments, "truck": trucks, "sku": skus}
    return [
        Reference(action=index, param=param, code=code)
        for index, action in enumerate(edited)
        for param, code in references(action).codes
        if code not in allowed[CODE_PARAMS[param]]
    ]


def fingerprint(session: Session, refs: Refs, actions: list[Action]) -> dict[str, dict[str, Any]]:
    """The current state of every shipment, stock position and truck the decision is about."""
    shipments, positions, trucks = _subjects(refs, actions)
    facts: dict[str, dict[str, Any]] = {}
    for code in sorted(shipments):
        shipment = session.get(m.Shipment, code)
        if shipment:
            facts[f"shipment {code}"] = {
                "status": shipment.status,
                "carrier": shipment.carrier,
                "truck": shipment.truck,
            }
    for sku, dc in sorted(positions):
        position = store.position(session, sku, dc)
        facts[f"stock {sku} at {dc}"] = {
            "on_hand": position.on_hand if position else 0,
            "in_transit": position.in_transit if position else 0,
            "allocated": position.allocated if position else 0,
        }
    for code in sorted(trucks):
        vehicle = session.get(m.Vehicle, code)
        if vehicle:
            booked = session.exec(
                select(func.count())
                .select_from(m.WorkOrder)
                .where(col(m.WorkOrder.truck) == code, col(m.WorkOrder.status) != "closed")
            ).one()
            facts[f"truck {code}"] = {
                "status": vehicle.status,
                "last_service_at": vehicle.last_service_at.isoformat(),
                "open_work_orders": booked,
            }
    return facts


def _material(before: object, after: object) -> bool:
    """Whether a fact changed enough to matter (counts within tolerance do not)."""
    if isinstance(before, int | float) and isinstance(after, int | float) and not isinstance(before, bool):
        return abs(after - before) > max(1.0, RELATIVE_TOLERANCE * max(abs(before), abs(after)))
    return before != after


def changes(before: dict[str, dict[str, Any]], after: dict[str, dict[str, Any]]) -> list[str]:
    """The material differences between two fingerprints, in words (empty when nothing that matters moved)."""
    found = []
    for subject, facts in before.items():
        now = after.get(subject, {})
        found += [
            f"{subject}: {name} was {value}, now {now.get(name)}"
            for name, value in facts.items()
            if _material(value, now.get(name))
        ]
    return found
