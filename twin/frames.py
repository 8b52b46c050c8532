"""History of the twin as pandas frames, the training and scoring input of the models."""

import threading
import weakref
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import ColumnElement, func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import Select

from twin import models as m
from twin import store
from twin.typed_pandas import as_frame, as_series

Query = Select[*tuple[Any, ...]]  # a select of any columns, read into a frame


def _frame(session: Session, statement: Query) -> pd.DataFrame:
    """Run a select and return its rows as a frame with the selected column names (rows go in as plain tuples)."""
    columns = list(statement.selected_columns.keys())
    return pd.DataFrame.from_records([tuple(row) for row in session.exec(statement)], columns=columns)


def _utc(frame: pd.DataFrame, *columns: str) -> pd.DataFrame:
    """Parse datetime columns as timezone-aware UTC timestamps."""
    for column in columns:
        frame[column] = pd.to_datetime(frame[column], utc=True)
    return frame


def _demand(*where: ColumnElement[bool]) -> Query:
    """Daily units per SKU and DC with price, promotion, holiday and event, by SKU, DC and day."""
    return (
        Select(
            col(m.DemandHistory.sku),
            col(m.DemandHistory.location),
            col(m.DemandHistory.day),
            col(m.DemandHistory.units),
            col(m.DemandHistory.price),
            col(m.DemandHistory.promo),
            col(m.CalendarDay.holiday),
            col(m.CalendarDay.event),
        )
        .join(m.CalendarDay, col(m.CalendarDay.day) == col(m.DemandHistory.day), isouter=True)
        .where(*where)
        .order_by(col(m.DemandHistory.sku), col(m.DemandHistory.location), col(m.DemandHistory.day))
    )


@dataclass(frozen=True)
class _KeptDemand:
    """A demand frame with what it was read from: the scenario's facts, the history's last id and its row count."""

    scenario: tuple[tuple[str, str], ...]
    last_id: int
    rows: int
    frame: pd.DataFrame


class DemandFrames:
    """The demand frame of each database, kept between reads: the history only grows (a day's rows at a time), so
    only the rows added since are read and put in place. It is read whole when the scenario changed (another one
    loaded), when rows it held are gone or when an added row opens a new series."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._kept: weakref.WeakKeyDictionary[Engine, _KeptDemand] = weakref.WeakKeyDictionary()

    def frame(self, session: Session) -> pd.DataFrame:
        """The demand frame as the session sees it (a copy, the caller's to change)."""
        engine = session.get_bind()
        with self._lock:
            kept = self._kept.get(engine) if isinstance(engine, Engine) else None
        scenario = _scenario(session)
        grown = _grown(session, kept) if kept is not None and kept.scenario == scenario else None
        if grown is None:
            last_id, rows = _last_id_and_rows(session)
            grown = _KeptDemand(scenario, last_id, rows, _read_demand(session, col(m.DemandHistory.id) <= last_id))
        if isinstance(engine, Engine):
            with self._lock:
                self._kept[engine] = grown
        return grown.frame.copy()


DEMAND_FRAMES = DemandFrames()


def _scenario(session: Session) -> tuple[tuple[str, str], ...]:
    """The loaded scenario's facts but the twin's clock, which moves every day."""
    return tuple(sorted((key, value) for key, value in store.meta(session).items() if key != "as_of"))


def _last_id_and_rows(session: Session, *where: ColumnElement[bool]) -> tuple[int, int]:
    """The demand history's last id and row count (of the rows matching `where`)."""
    last_id, rows = session.exec(select(func.max(col(m.DemandHistory.id)), func.count()).where(*where)).one()
    return last_id or 0, rows


def _grown(session: Session, kept: _KeptDemand) -> _KeptDemand | None:
    """A kept frame with the rows added since put in place, each after its series' earlier days (series keep their
    order); None when rows it held are gone or an added row opens a new series."""
    if _last_id_and_rows(session, col(m.DemandHistory.id) <= kept.last_id)[1] != kept.rows:
        return None
    last_id, rows = _last_id_and_rows(session)
    if last_id == kept.last_id:
        return kept
    added = _read_demand(session, col(m.DemandHistory.id) > kept.last_id, col(m.DemandHistory.id) <= last_id)
    keys = ["sku", "location"]
    series = kept.frame.groupby(keys, sort=False).ngroup()
    order = pd.MultiIndex.from_frame(as_frame(kept.frame[keys].drop_duplicates()))
    added_series = order.get_indexer(pd.MultiIndex.from_frame(as_frame(added[keys])))
    if len(added) != rows - kept.rows or (added_series < 0).any():
        return None
    both = pd.concat(
        [kept.frame.assign(series=series), added.astype(kept.frame.dtypes.to_dict()).assign(series=added_series)],
        ignore_index=True,
    )
    frame = both.sort_values(["series", "day"], kind="stable", ignore_index=True).drop(columns="series")
    return _KeptDemand(kept.scenario, last_id, rows, frame)


def _read_demand(session: Session, *where: ColumnElement[bool]) -> pd.DataFrame:
    """Daily units per SKU and DC with price, promotion, holiday and event, read from the database."""
    frame = _frame(session, _demand(*where))
    frame["day"] = pd.to_datetime(frame["day"])
    frame["promo"] = frame["promo"].astype(bool)
    return frame


def demand_frame(session: Session) -> pd.DataFrame:
    """Daily units per SKU and DC with price, promotion, holiday and event."""
    return DEMAND_FRAMES.frame(session)


def calendar_frame(session: Session) -> pd.DataFrame:
    """Every known day's holiday and event, past and ahead (days as timestamps)."""
    statement: Query = Select(col(m.CalendarDay.day), col(m.CalendarDay.holiday), col(m.CalendarDay.event))
    frame = _frame(session, statement.order_by(col(m.CalendarDay.day)))
    frame["day"] = pd.to_datetime(frame["day"])
    return frame


def sku_demand_frame(session: Session, sku: str) -> pd.DataFrame:
    """One SKU's daily demand at every DC, by DC and day (days as dates), with the day's holiday and event."""
    return _frame(session, _demand(col(m.DemandHistory.sku) == sku))


def shipment_frame(
    session: Session, ids: list[str] | None = None, status: str | None = None, origin: str | None = None
) -> pd.DataFrame:
    """One row per shipment (all, or those in `ids`, with `status` and from `origin`) with lane, carrier, slack, scan
    delay, conditions and outcome; only the chosen shipments' scans and region-days are read."""
    chosen: list[ColumnElement[bool]] = []
    if ids is not None:
        chosen.append(col(m.Shipment.id).in_(ids))
    if status is not None:
        chosen.append(col(m.Shipment.status) == status)
    if origin is not None:
        chosen.append(col(m.Shipment.origin) == origin)
    statement: Query = (
        Select(
            col(m.Shipment.id).label("shipment_id"),
            col(m.Shipment.lane),
            col(m.Shipment.origin),
            col(m.Lane.dest_region),
            col(m.Shipment.carrier),
            col(m.Shipment.truck),
            col(m.Shipment.distance_miles),
            col(m.Shipment.units),
            col(m.Shipment.weight_kg),
            col(m.Shipment.shipped_at),
            col(m.Shipment.promised_at),
            col(m.Shipment.delivered_at),
            col(m.Shipment.status),
            col(m.Shipment.expedited_hours),
            col(m.Location.region).label("origin_region"),
        )
        .join(m.Lane, col(m.Lane.code) == col(m.Shipment.lane))
        .join(m.Location, col(m.Location.code) == col(m.Shipment.origin))
        .where(*chosen)
        .order_by(col(m.Shipment.id))
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


def _scan_delay_minutes(session: Session, shipments: pd.DataFrame, chosen: list[ColumnElement[bool]]) -> pd.Series:
    """Delay minutes each shipment's scans reported by half its planned transit (read for the chosen shipments only)."""
    statement = select(col(m.ScanEvent.shipment_id), col(m.ScanEvent.at), col(m.ScanEvent.delay_minutes)).where(
        col(m.ScanEvent.delay_minutes) > 0
    )
    if chosen:
        statement = statement.join(m.Shipment, col(m.Shipment.id) == col(m.ScanEvent.shipment_id)).where(*chosen)
    scans = _utc(_frame(session, statement), "at")
    scans = scans.merge(shipments[["shipment_id", "shipped_at", "planned_transit_hours"]], on="shipment_id")
    halfway = as_series(scans["shipped_at"]) + pd.to_timedelta(as_series(scans["planned_transit_hours"]) / 2, unit="h")
    known = as_series(scans[scans["at"] <= halfway].groupby("shipment_id")["delay_minutes"].sum())
    return as_series(shipments["shipment_id"]).map(known).fillna(0).astype(int)


def _conditions(session: Session, shipments: pd.DataFrame | None) -> pd.DataFrame:
    """Weather and congestion per region and day: all of them, or the shipments' origin regions over their ship days."""
    statement = select(
        col(m.RegionCondition.region),
        col(m.RegionCondition.day),
        col(m.RegionCondition.weather),
        col(m.RegionCondition.congestion),
    )
    if shipments is not None:
        days = shipments["ship_day"].dt.date
        statement = statement.where(col(m.RegionCondition.region).in_(shipments["origin_region"].unique().tolist()))
        if len(days):
            statement = statement.where(col(m.RegionCondition.day).between(days.min(), days.max()))
    conditions = _frame(session, statement)
    conditions["day"] = pd.to_datetime(conditions["day"])
    return conditions


READING_COLUMNS = (  # a truck's daily reading as the failure-risk model reads it, with the truck's age and mileage
    col(m.TelemetryReading.truck),
    col(m.TelemetryReading.at),
    col(m.TelemetryReading.engine_temp_c),
    col(m.TelemetryReading.oil_pressure_kpa),
    col(m.TelemetryReading.vibration_mm_s),
    col(m.TelemetryReading.miles_since_service),
    col(m.TelemetryReading.fault_codes),
    col(m.Vehicle.model_year),
    col(m.Vehicle.odometer_miles),
)


def telemetry_frame(session: Session) -> pd.DataFrame:
    """Daily telemetry per truck with the truck's model year and odometer."""
    frame = _frame(
        session,
        Select(*READING_COLUMNS)
        .join(m.Vehicle, col(m.Vehicle.code) == col(m.TelemetryReading.truck))
        .order_by(col(m.TelemetryReading.truck), col(m.TelemetryReading.at)),
    )
    return _utc(frame, "at")


def failure_frame(session: Session) -> pd.DataFrame:
    """Truck failures: the corrective work orders."""
    frame = _frame(
        session,
        select(col(m.WorkOrder.truck), col(m.WorkOrder.opened_at).label("at"), col(m.WorkOrder.component))
        .where(col(m.WorkOrder.kind) == "corrective")
        .order_by(col(m.WorkOrder.truck), col(m.WorkOrder.opened_at)),
    )
    return _utc(frame, "at")
