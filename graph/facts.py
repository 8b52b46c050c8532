"""The facts a decision relies on: read from the twin when it is made, re-read before it executes."""

from pydantic import BaseModel
from sqlmodel import Session, func, select

from agents.schemas import Action, Refs
from twin import models as m

RELATIVE_TOLERANCE = 0.05  # a stock figure that moved by more than 5% (and more than one unit) changed materially
SHIPMENT_KEYS = ("shipment_id", "shipments", "stops")
TRUCK_KEYS = ("truck", "removed_truck")
DC_KEYS = ("location", "from", "to", "dc")


def _codes(value: object) -> list[str]:
    """The codes a parameter names: one string or a list of them."""
    if isinstance(value, str):
        return [value]
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []


def _subjects(refs: Refs, actions: list[Action]) -> tuple[set[str], set[tuple[str, str]], set[str]]:
    """The shipments, stock positions (SKU, DC) and trucks that the exception and the actions name."""
    shipments, positions, trucks = set(_codes(refs.shipment_id)), set(), set(_codes(refs.asset_id))
    if refs.sku and refs.location:
        positions.add((refs.sku, refs.location))
    for action in actions:
        params = action.params
        shipments.update(code for key in SHIPMENT_KEYS for code in _codes(params.get(key)))
        trucks.update(code for key in TRUCK_KEYS for code in _codes(params.get(key)))
        sku = params.get("sku") or params.get("transfer_sku")
        if isinstance(sku, str):
            positions.update((sku, dc) for key in DC_KEYS for dc in _codes(params.get(key)))
    return shipments, positions, trucks


class Reference(BaseModel):
    """One code that an edited action's parameter names."""

    action: int
    param: str
    code: str


def _skus(refs: Refs, actions: list[Action]) -> set[str]:
    """The SKUs that the exception and the actions name."""
    named = {refs.sku} if refs.sku else set()
    for action in actions:
        named.update(code for key in ("sku", "transfer_sku") for code in _codes(action.params.get(key)))
    return named


def outside(refs: Refs, plan: list[Action], edited: list[Action]) -> list[Reference]:
    """The shipments, trucks and SKUs that edited actions name beyond the exception's subject and its plan."""
    shipments, _, trucks = _subjects(refs, plan)
    scope = {**dict.fromkeys(SHIPMENT_KEYS, shipments), **dict.fromkeys(TRUCK_KEYS, trucks)}
    scope |= dict.fromkeys(("sku", "transfer_sku"), _skus(refs, plan))
    return [
        Reference(action=index, param=key, code=code)
        for index, action in enumerate(edited)
        for key, allowed in scope.items()
        for code in _codes(action.params.get(key))
        if code not in allowed
    ]


def fingerprint(session: Session, refs: Refs, actions: list[Action]) -> dict[str, dict]:
    """The current state of every shipment, stock position and truck the decision is about."""
    shipments, positions, trucks = _subjects(refs, actions)
    facts: dict[str, dict] = {}
    for code in sorted(shipments):
        shipment = session.get(m.Shipment, code)
        if shipment:
            facts[f"shipment {code}"] = {
                "status": shipment.status,
                "carrier": shipment.carrier,
                "truck": shipment.truck,
            }
    for sku, dc in sorted(positions):
        position = session.exec(
            select(m.InventoryPosition).where(m.InventoryPosition.sku == sku, m.InventoryPosition.location == dc)
        ).first()
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
                .where(m.WorkOrder.truck == code, m.WorkOrder.status != "closed")
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


def changes(before: dict[str, dict], after: dict[str, dict]) -> list[str]:
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
