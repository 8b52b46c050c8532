"""History of the twin as pandas frames, the training and scoring input of the models."""

import pandas as pd
from sqlalchemy import Select, select
from sqlmodel import Session

from twin import models as m


def _frame(session: Session, statement) -> pd.DataFrame:
    """Run a select and return its rows as a frame with the selected column names (rows go in as plain tuples)."""
    result = session.execute(statement)
    columns = list(result.keys())
    return pd.DataFrame.from_records([tuple(row) for row in result], columns=columns)


def _utc(frame: pd.DataFrame, *columns: str) -> pd.DataFrame:
    """Parse datetime columns as timezone-aware UTC timestamps."""
    for column in columns:
        frame[column] = pd.to_datetime(frame[column], utc=True)
    return frame


def _demand(*where) -> Select:
    """Daily units per SKU and DC with price, promotion, holiday and event, by SKU, DC and day."""
    return (
        select(
            m.DemandHistory.sku,
            m.DemandHistory.location,
            m.DemandHistory.day,
            m.DemandHistory.units,
            m.DemandHistory.price,
            m.DemandHistory.promo,
            m.CalendarDay.holiday,
            m.CalendarDay.event,
        )
        .join(m.CalendarDay, m.CalendarDay.day == m.DemandHistory.day, isouter=True)
        .where(*where)
        .order_by(m.DemandHistory.sku, m.DemandHistory.location, m.DemandHistory.day)
    )


def demand_frame(session: Session) -> pd.DataFrame:
    """Daily units per SKU and DC with price, promotion, holiday and event."""
    frame = _frame(session, _demand())
    frame["day"] = pd.to_datetime(frame["day"])
    frame["promo"] = frame["promo"].astype(bool)
    return frame


def sku_demand_frame(session: Session, sku: str) -> pd.DataFrame:
    """One SKU's daily demand at every DC, by DC and day (days as dates), with the day's holiday and event."""
    return _frame(session, _demand(m.DemandHistory.sku == sku))


def shipment_frame(session: Session, ids: list[str] | None = None, status: str | None = None) -> pd.DataFrame:
    """One row per shipment (all, those in `ids`, or those with `status`) with lane, carrier, slack, scan delay,
    conditions and outcome; only the chosen shipments' scans and region-days are read."""
    chosen = []
    if ids is not None:
        chosen.append(m.Shipment.id.in_(ids))
    if status is not None:
        chosen.append(m.Shipment.status == status)
    statement = (
        select(
            m.Shipment.id.label("shipment_id"),
            m.Shipment.lane,
            m.Shipment.origin,
            m.Lane.dest_region,
            m.Shipment.carrier,
            m.Shipment.truck,
            m.Shipment.distance_miles,
            m.Shipment.units,
            m.Shipment.weight_kg,
            m.Shipment.shipped_at,
            m.Shipment.promised_at,
            m.Shipment.delivered_at,
            m.Shipment.status,
            m.Shipment.expedited_hours,
            m.Location.region.label("origin_region"),
        )
        .join(m.Lane, m.Lane.code == m.Shipment.lane)
        .join(m.Location, m.Location.code == m.Shipment.origin)
        .where(*chosen)
        .order_by(m.Shipment.id)
    )
    shipments = _frame(session, statement)
    _utc(shipments, "shipped_at", "promised_at", "delivered_at")
    local = shipments["lane"].str[:3] == shipments["lane"].str[4:]
    shipments["planned_transit_hours"] = (shipments["distance_miles"] / 30 + 2).where(
        local, shipments["distance_miles"] / 48 + 8
    )
    shipments["slack_hours"] = (
        (shipments["promised_at"] - shipments["shipped_at"]).dt.total_seconds() / 3600
        - shipments["planned_transit_hours"]
        + shipments["expedited_hours"]
    )
    shipments["scan_delay_minutes"] = _scan_delay_minutes(session, shipments, chosen)
    shipments["ship_day"] = shipments["shipped_at"].dt.tz_localize(None).dt.normalize()
    conditions = _conditions(session, shipments if chosen else None)
    shipments = shipments.merge(
        conditions, left_on=["origin_region", "ship_day"], right_on=["region", "day"], how="left"
    ).drop(columns=["region", "day", "ship_day", "origin_region"])
    shipments["late"] = (shipments["delivered_at"] > shipments["promised_at"]).astype(object)
    shipments.loc[shipments["delivered_at"].isna(), "late"] = None
    return shipments


def _scan_delay_minutes(session: Session, shipments: pd.DataFrame, chosen: list) -> pd.Series:
    """Delay minutes each shipment's scans reported by half its planned transit (read for the chosen shipments only)."""
    statement = select(m.ScanEvent.shipment_id, m.ScanEvent.at, m.ScanEvent.delay_minutes).where(
        m.ScanEvent.delay_minutes > 0
    )
    if chosen:
        statement = statement.join(m.Shipment, m.Shipment.id == m.ScanEvent.shipment_id).where(*chosen)
    scans = _utc(_frame(session, statement), "at")
    scans = scans.merge(shipments[["shipment_id", "shipped_at", "planned_transit_hours"]], on="shipment_id")
    halfway = scans["shipped_at"] + pd.to_timedelta(scans["planned_transit_hours"] / 2, unit="h")
    known = scans[scans["at"] <= halfway].groupby("shipment_id")["delay_minutes"].sum()
    return shipments["shipment_id"].map(known).fillna(0).astype(int)


def _conditions(session: Session, shipments: pd.DataFrame | None) -> pd.DataFrame:
    """Weather and congestion per region and day: all of them, or the shipments' origin regions over their ship days."""
    statement = select(
        m.RegionCondition.region, m.RegionCondition.day, m.RegionCondition.weather, m.RegionCondition.congestion
    )
    if shipments is not None:
        days = shipments["ship_day"].dt.date
        statement = statement.where(m.RegionCondition.region.in_(shipments["origin_region"].unique().tolist()))
        if len(days):
            statement = statement.where(m.RegionCondition.day.between(days.min(), days.max()))
    conditions = _frame(session, statement)
    conditions["day"] = pd.to_datetime(conditions["day"])
    return conditions


READING_COLUMNS = (  # a truck's daily reading as the failure-risk model reads it, with the truck's age and mileage
    m.TelemetryReading.truck,
    m.TelemetryReading.at,
    m.TelemetryReading.engine_temp_c,
    m.TelemetryReading.oil_pressure_kpa,
    m.TelemetryReading.vibration_mm_s,
    m.TelemetryReading.miles_since_service,
    m.TelemetryReading.fault_codes,
    m.Vehicle.model_year,
    m.Vehicle.odometer_miles,
)


def telemetry_frame(session: Session) -> pd.DataFrame:
    """Daily telemetry per truck with the truck's model year and odometer."""
    frame = _frame(
        session,
        select(*READING_COLUMNS)
        .join(m.Vehicle, m.Vehicle.code == m.TelemetryReading.truck)
        .order_by(m.TelemetryReading.truck, m.TelemetryReading.at),
    )
    return _utc(frame, "at")


def failure_frame(session: Session) -> pd.DataFrame:
    """Truck failures: the corrective work orders."""
    frame = _frame(
        session,
        select(m.WorkOrder.truck, m.WorkOrder.opened_at.label("at"), m.WorkOrder.component)
        .where(m.WorkOrder.kind == "corrective")
        .order_by(m.WorkOrder.truck, m.WorkOrder.opened_at),
    )
    return _utc(frame, "at")
