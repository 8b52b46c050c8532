"""The cost model's rates as stored in the twin: documented defaults, edits as new versions, the rates in force."""

from datetime import UTC, datetime

from pydantic import BaseModel
from sqlalchemy import func
from sqlmodel import Session, col, select

from twin import models as m

KM_PER_MILE = 1.609344


class RateDefault(BaseModel):
    """A rate's default value, unit and where the figure comes from."""

    key: str
    value: float
    unit: str
    source: str


DEFAULT_RATES = [
    RateDefault(
        key="own_fleet_usd_per_km",
        value=1.18,
        unit="USD/km",
        source="ATRI Operational Costs of Trucking 2024: 1.91 USD per mile without the driver",
    ),
    RateDefault(
        key="driver_usd_per_hour",
        value=38.0,
        unit="USD/h",
        source="ATRI 2024: driver wages and benefits, about 0.99 USD per mile at 38 mph",
    ),
    RateDefault(
        key="workshop_labour_usd_per_hour",
        value=145.0,
        unit="USD/h",
        source="heavy-duty dealer shop labour rate, US average 2024",
    ),
    RateDefault(
        key="parts_usd_routine",
        value=250.0,
        unit="USD/visit",
        source="SOP-MAINT-01 routine service kit: oil, filters, belts",
    ),
    RateDefault(
        key="parts_usd_inspection",
        value=450.0,
        unit="USD/visit",
        source="SOP-MAINT-01 inspection: routine kit plus wear parts",
    ),
    RateDefault(
        key="parts_usd_work_order",
        value=900.0,
        unit="USD/visit",
        source="SOP-MAINT-01 work order: brake, cooling or lubrication parts",
    ),
    RateDefault(
        key="parts_usd_removal",
        value=1800.0,
        unit="USD/visit",
        source="SOP-MAINT-01 removal with full inspection and repair",
    ),
    RateDefault(
        key="breakdown_tow_usd",
        value=1000.0,
        unit="USD/event",
        source="SOP-BREAK-01: heavy-duty tow to the nearest DC bay",
    ),
    RateDefault(
        key="breakdown_premium_usd",
        value=2500.0,
        unit="USD/event",
        source="SOP-BREAK-01: road call, rushed parts and overtime over a planned repair",
    ),
    RateDefault(
        key="breakdown_downtime_days",
        value=3.0,
        unit="days",
        source="a failed truck stands still the day it fails and 1 to 3 days of corrective work after it: 3 on average",
    ),
    RateDefault(key="late_penalty_usd_gold", value=1500.0, unit="USD/late delivery", source="SOP-TIER-01 gold"),
    RateDefault(key="late_penalty_usd_silver", value=750.0, unit="USD/late delivery", source="SOP-TIER-01 silver"),
    RateDefault(key="late_penalty_usd_standard", value=300.0, unit="USD/late delivery", source="SOP-TIER-01 standard"),
    RateDefault(
        key="notified_penalty_share",
        value=0.8,
        unit="share",
        source="SOP-LATE-01: a customer told early bears 80% of the cost of a late delivery",
    ),
    RateDefault(
        key="notify_usd",
        value=25.0,
        unit="USD/call",
        source="dispatcher time to call the customer and agree a new appointment",
    ),
    RateDefault(
        key="notify_window_hours",
        value=24.0,
        unit="hours",
        source="SOP-LATE-01: a customer is not told twice about one shipment within a day",
    ),
    RateDefault(key="expedite_base_usd", value=150.0, unit="USD/shipment", source="hot-shot dispatch fee"),
    RateDefault(key="expedite_usd_per_mile", value=0.75, unit="USD/mile", source="hot-shot premium per mile"),
    RateDefault(
        key="expedite_hours_saved_share",
        value=0.3,
        unit="share",
        source="a team driver or hot-shot saves about 30% of the planned transit time",
    ),
    RateDefault(
        key="spot_premium_share",
        value=0.25,
        unit="share",
        source="SOP-CAP-01: spot freight runs about 25% over contract",
    ),
    RateDefault(
        key="spot_late_share", value=0.15, unit="share", source="SOP-CAP-01: about 15% of spot loads arrive late"
    ),
    RateDefault(
        key="late_load_penalty_usd",
        value=500.0,
        unit="USD/load",
        source="SOP-CAP-01: a load delivered late or held a week",
    ),
    RateDefault(
        key="co2_usd_per_kg",
        value=0.1,
        unit="USD/kg CO2",
        source="internal carbon price for planning: 100 USD a tonne",
    ),
    RateDefault(
        key="tender_stop_fee_usd",
        value=75.0,
        unit="USD/stop",
        source="local carrier's per-stop fee for tendered deliveries",
    ),
    RateDefault(
        key="delivery_rebook_usd",
        value=150.0,
        unit="USD/delivery",
        source="a delivery a truck cannot run, rebooked or handed to a carrier",
    ),
    RateDefault(
        key="stockout_penalty_usd_per_unit",
        value=2.0,
        unit="USD/unit",
        source="SOP-STOCK-01: goodwill and backorder handling per unit short, on top of the lost margin",
    ),
    RateDefault(
        key="holding_share_per_year",
        value=0.25,
        unit="share of unit cost/year",
        source="carrying cost of inventory: capital, storage, shrink",
    ),
    RateDefault(
        key="handling_usd_per_unit",
        value=0.35,
        unit="USD/unit",
        source="pick and load at the source DC, receive and put away at the destination DC",
    ),
    RateDefault(
        key="expedite_purchase_premium_share",
        value=0.3,
        unit="share of unit cost",
        source="an emergency supplier order: rush fee and premium freight",
    ),
]


def in_force(session: Session) -> list[m.CostRate]:
    """The latest version of every rate, by key."""
    latest = (
        select(col(m.CostRate.key), func.max(col(m.CostRate.version)).label("version"))
        .group_by(col(m.CostRate.key))
        .subquery()
    )
    statement = (
        select(m.CostRate)
        .join(latest, (col(m.CostRate.key) == latest.c.key) & (col(m.CostRate.version) == latest.c.version))
        .order_by(col(m.CostRate.key))
    )
    return list(session.exec(statement).all())


def rate_value(session: Session, key: str) -> float:
    """The value in force of one rate: its latest stored version, or its documented default."""
    stored = session.exec(
        select(col(m.CostRate.value))
        .where(col(m.CostRate.key) == key)
        .order_by(col(m.CostRate.version).desc())
        .limit(1)
    ).first()
    return stored if stored is not None else next(rate.value for rate in DEFAULT_RATES if rate.key == key)


def set_rate(session: Session, key: str, value: float, source: str, actor: str) -> m.CostRate:
    """Edit a rate: a new version in force from now; earlier versions are kept."""
    current = {rate.key: rate for rate in in_force(session)}
    if key not in current:
        raise KeyError(f"unknown rate {key!r}")
    if value < 0:
        raise ValueError(f"rate {key} must not be negative")
    row = m.CostRate(
        key=key,
        version=current[key].version + 1,
        value=value,
        unit=current[key].unit,
        source=source,
        updated_by=actor,
        updated_at=datetime.now(UTC),
    )
    session.add(row)
    session.flush()
    return row
