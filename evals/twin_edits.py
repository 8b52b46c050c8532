"""Changes an eval case makes to its private copy of the twin before the desk sees it: policy rules and the
counterfactual edits of a model's drivers."""

from datetime import timedelta
from statistics import median

from sqlmodel import Session, col, select

from agents.policy import PolicyRule, save_rule
from evals.cases import TwinEdit
from twin import models as m
from twin import store

BASELINE_DAYS = 60  # a truck's healthy reading is its median over the 60 days before the replaced ones
DRIFTING = ("engine_temp_c", "oil_pressure_kpa", "vibration_mm_s", "fault_codes")


def store_rules(session: Session, rules: list[PolicyRule]) -> None:
    """Insert or replace the stored rule of each rule's action type and cohort."""
    for rule in rules:
        save_rule(session, rule, "eval")


def _shipment(session: Session, shipment_id: str) -> m.Shipment:
    """A shipment of the twin (a clear error when the case names an unknown one)."""
    shipment = session.get(m.Shipment, shipment_id)
    if shipment is None:
        raise ValueError(f"twin edit names unknown shipment {shipment_id}")
    return shipment


def shift_promise(session: Session, shipment_id: str, hours: float) -> None:
    """Move a shipment's promised time by `hours` (positive: more slack)."""
    shipment = _shipment(session, shipment_id)
    shipment.promised_at = shipment.promised_at + timedelta(hours=hours)
    session.add(shipment)


def add_delay_scan(session: Session, shipment_id: str, minutes: float) -> None:
    """Add a delay scan an hour after pickup (at the latest at the twin's clock), early enough to be known."""
    shipment = _shipment(session, shipment_id)
    clock = store.clock(session)
    clock = clock if shipment.shipped_at.tzinfo else clock.replace(tzinfo=None)  # SQLite keeps naive UTC
    at = min(shipment.shipped_at + timedelta(hours=1), clock)
    session.add(
        m.ScanEvent(
            event_id=f"{shipment_id}-counterfactual",
            shipment_id=shipment_id,
            kind="delay",
            location="in_transit",
            at=at,
            delay_minutes=int(minutes),
        )
    )


def healthy_telemetry(session: Session, truck: str, days: int) -> None:
    """Replace a truck's last `days` readings by its median reading of the BASELINE_DAYS before them."""
    readings = list(
        session.exec(
            select(m.TelemetryReading)
            .where(col(m.TelemetryReading.truck) == truck)
            .order_by(col(m.TelemetryReading.at))
        ).all()
    )
    if len(readings) <= days:
        raise ValueError(f"twin edit: truck {truck} has {len(readings)} readings, not more than {days}")
    baseline = readings[-days - BASELINE_DAYS : -days]
    typical = {field: median(getattr(reading, field) for reading in baseline) for field in DRIFTING}
    for reading in readings[-days:]:
        reading.sqlmodel_update({**typical, "fault_codes": int(typical["fault_codes"])})
        session.add(reading)


def set_on_hand(session: Session, position: str, units: float) -> None:
    """Set the on-hand units of a stock position written `SKU-0042@DC-DAL`."""
    sku, location = position.split("@")
    row = store.position(session, sku, location)
    if row is None:
        raise ValueError(f"twin edit names unknown position {position}")
    row.on_hand = int(units)
    session.add(row)


def apply_edit(session: Session, edit: TwinEdit) -> None:
    """Apply one counterfactual edit."""
    if edit.kind == "shift_promise":
        shift_promise(session, edit.target, edit.amount)
    elif edit.kind == "add_delay_scan":
        add_delay_scan(session, edit.target, edit.amount)
    elif edit.kind == "healthy_telemetry":
        healthy_telemetry(session, edit.target, int(edit.amount))
    else:
        set_on_hand(session, edit.target, edit.amount)
    session.flush()
