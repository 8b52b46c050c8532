"""The fleet's telemetry as the failure-risk model reads it: each truck's latest readings, the running means of its
sensors, and a stamp that changes whenever a reading is added or a truck is booked into the workshop."""

import hashlib
from datetime import datetime, timedelta
from typing import Any

import pandas as pd
from pandas.core.util.hashing import hash_pandas_object
from sqlalchemy import ColumnElement, func
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import Select

from twin import models as m
from twin.frames import READING_COLUMNS
from twin.kpis import aware
from twin.typed_pandas import as_frame, as_series

SENSORS = ("engine_temp_c", "oil_pressure_kpa", "vibration_mm_s", "fault_codes")
DAYS_PER_READING = 2  # readings are daily; a window twice as long in days holds a truck's last readings but for gaps


FLEET_ACTIONS = ("schedule_maintenance",)  # the executed actions that change the fleet (trucks into the workshop)


def fleet_stamp(session: Session) -> tuple[int | None, datetime | None, int, datetime | None, int]:
    """A stamp of the fleet's state that changes with every reading added and every fleet action executed: the
    telemetry's last id, last time and row count (from the kept totals), the last such action's time and their
    count (the counts catch rows that other processes commit out of id or time order)."""
    reading, action = m.TelemetryReading, m.ActionRecord
    last = session.exec(select(func.max(col(reading.id)), func.max(col(reading.at)))).one()
    count = session.exec(select(func.coalesce(func.sum(col(m.TelemetryTotal.readings)), 0))).one()
    actions = session.exec(
        select(func.max(col(action.executed_at)), func.count(col(action.executed_at))).where(
            col(action.type).in_(FLEET_ACTIONS)
        )
    ).one()
    return (*last, int(count), *actions)


def running_means(session: Session, as_of: datetime, trucks: list[str] | None = None) -> pd.DataFrame:
    """Per truck (all, or those in `trucks`): the mean of each sensor over all its readings up to `as_of`, and how
    many readings it has; from the totals the database keeps, less the readings after `as_of` (usually none)."""
    total, reading = m.TelemetryTotal, m.TelemetryReading
    kept: Select[*tuple[Any, ...]] = Select(
        col(total.truck), *(getattr(total, name) for name in SENSORS), col(total.readings)
    ).where(col(total.readings) > 0)
    later: Select[*tuple[Any, ...]] = (
        Select(col(reading.truck), *(func.sum(getattr(reading, name)) for name in SENSORS), func.count())
        .where(col(reading.at) > as_of)
        .group_by(col(reading.truck))
    )
    if trucks is not None:
        kept, later = kept.where(col(total.truck).in_(trucks)), later.where(col(reading.truck).in_(trucks))
    columns = ["truck", *SENSORS, "readings"]
    sums = pd.DataFrame(session.exec(kept).all(), columns=columns).set_index("truck").astype(float)
    after = pd.DataFrame(session.exec(later).all(), columns=columns).set_index("truck").astype(float)
    if len(after):
        sums = sums.sub(after.reindex(sums.index, fill_value=0.0))
    sums = as_frame(sums[sums["readings"] > 0]).sort_index()
    frame = as_frame(sums[list(SENSORS)].div(sums["readings"], axis=0))
    frame["readings"] = sums["readings"].round().astype(int)
    return frame


def recent_readings(session: Session, as_of: datetime, rows: int, trucks: list[str] | None = None) -> pd.DataFrame:
    """Each truck's (or each of `trucks`') last `rows` readings among those of the last `DAYS_PER_READING * rows`
    days up to `as_of`."""
    condition = col(m.TelemetryReading.at) > as_of - timedelta(days=DAYS_PER_READING * rows)
    if trucks is not None:
        condition = condition & col(m.TelemetryReading.truck).in_(trucks)
    return _readings(session, condition, as_of).groupby("truck").tail(rows)


def digest(frame: pd.DataFrame) -> str:
    """A content hash of a frame's rows (a reading corrected in place changes it)."""
    return hashlib.sha256(hash_pandas_object(frame, index=False).to_numpy().tobytes()).hexdigest()


def latest_readings(
    session: Session, as_of: datetime, rows: int, readings: pd.Series, recent: pd.DataFrame
) -> pd.DataFrame:
    """Each truck's last `rows` readings up to `as_of` with its model year and odometer, in truck and time order:
    the `recent` ones, and for a truck with fewer there than its count in `readings`, its last ones read apart."""
    found = as_series(recent["truck"]).value_counts().to_dict()
    short = [truck for truck, count in readings.items() if found.get(truck, 0) < min(rows, count)]
    parts = [as_frame(recent[~recent["truck"].isin(short)])]
    for truck in short:
        parts.append(_readings(session, col(m.TelemetryReading.truck) == truck, as_of, last=rows))
    frame = pd.concat(parts, ignore_index=True).sort_values(["truck", "at"], ignore_index=True)
    frame["at"] = pd.to_datetime(frame["at"], utc=True)
    return frame


def serviced_since_reading(session: Session, window: pd.DataFrame) -> set[str]:
    """The trucks of `window` serviced after their latest reading in it: no reading describes them since."""
    if window.empty:
        return set()
    last_read: dict[str, pd.Timestamp] = as_series(window.groupby("truck")["at"].max()).to_dict()
    services = session.exec(
        select(col(m.Vehicle.code), col(m.Vehicle.last_service_at)).where(col(m.Vehicle.code).in_(list(last_read)))
    ).all()
    return {code for code, at in services if pd.Timestamp(aware(at)) > last_read[code]}


def _readings(
    session: Session, condition: ColumnElement[bool], as_of: datetime, last: int | None = None
) -> pd.DataFrame:
    """Readings meeting `condition` up to `as_of` (only the `last` ones when given), in truck and time order."""
    at = col(m.TelemetryReading.at)
    statement: Select[*tuple[Any, ...]] = Select(*READING_COLUMNS).join(
        m.Vehicle, col(m.Vehicle.code) == col(m.TelemetryReading.truck)
    )
    statement = statement.where(condition, at <= as_of)
    if last is not None:
        statement = statement.order_by(at.desc()).limit(last)
    frame = pd.DataFrame(session.exec(statement).all(), columns=list(statement.selected_columns.keys()))
    return frame.sort_values(["truck", "at"], ignore_index=True)
