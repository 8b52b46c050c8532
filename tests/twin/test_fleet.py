"""The fleet's telemetry reads, on SQLite and PostgreSQL: the latest window per truck, running means, the stamp."""

from datetime import timedelta

import pandas as pd
import pytest
from sqlmodel import Session, delete, select

from tests.records import decided
from twin import fleet, frames, store
from twin import models as m
from twin.actions import parse_action
from twin.commands import execute_action
from twin.days import TwinDays
from twin.db import make_engine
from twin.seed import AS_OF


def test_the_window_holds_each_trucks_last_readings_even_after_a_gap(seeded_url):
    engine = make_engine(seeded_url)
    with Session(engine) as session:
        session.exec(  # TRK-003 sent nothing for three weeks: its last readings lie before the usual window
            delete(m.TelemetryReading).where(
                m.TelemetryReading.truck == "TRK-003", m.TelemetryReading.at > AS_OF - timedelta(days=21)
            )
        )
        session.commit()
        everything = frames.telemetry_frame(session)
        means = fleet.running_means(session, AS_OF)
        window = fleet.latest_readings(session, AS_OF, 7, means["readings"], fleet.recent_readings(session, AS_OF, 7))
    engine.dispose()
    history = everything[everything["at"] <= AS_OF]
    expected = history.groupby("truck").tail(7).reset_index(drop=True)
    assert window[expected.columns].equals(expected)
    assert window.groupby("truck").size().eq(7).all() and len(window) == 7 * history["truck"].nunique()
    for sensor in fleet.SENSORS:
        independent = history.groupby("truck")[sensor].mean()
        assert means[sensor].to_numpy() == pytest.approx(independent.loc[means.index].to_numpy(), rel=1e-12)
    assert means["readings"].to_dict() == history.groupby("truck").size().to_dict()


def executed(session: Session, number: int, action_type: str, **params) -> None:
    """Execute one action of a stored decision of its own."""
    decision_id = decided(session, f"T{number}", AS_OF)
    execute_action(session, decision_id, 0, parse_action(action_type, params), "test")
    session.commit()


def hot_reading(truck: str) -> m.TelemetryReading:
    """A reading of a truck running hot, five minutes before the twin's clock."""
    return m.TelemetryReading(
        truck=truck,
        at=AS_OF - timedelta(minutes=5),
        engine_temp_c=112.0,
        oil_pressure_kpa=190.0,
        vibration_mm_s=14.0,
        miles_since_service=14000.0,
        fault_codes=4,
    )


def test_the_stamp_moves_with_a_new_reading_and_a_fleet_action_only(seeded_url):
    engine = make_engine(seeded_url)
    with Session(engine) as session:
        first = fleet.fleet_stamp(session)
        executed(session, 1, "notify_customer", shipment_id="SHP-000001")
        assert fleet.fleet_stamp(session) == first  # a customer call changes nothing the fleet's scores read
        session.add(hot_reading("TRK-001"))
        session.commit()
        second = fleet.fleet_stamp(session)
        assert second != first
        executed(session, 2, "schedule_maintenance", truck="TRK-001", dc="DC-DAL", day=1, kind="preventive")
        assert fleet.fleet_stamp(session) != second
    engine.dispose()


def full_means(session: Session, as_of) -> pd.DataFrame:
    """Each truck's sensor means and reading count recomputed from its whole telemetry up to `as_of`."""
    history = frames.telemetry_frame(session)
    history = history[history["at"] <= as_of]
    means = history.groupby("truck")[list(fleet.SENSORS)].mean()
    means["readings"] = history.groupby("truck").size()
    return means


def assert_means_match(session: Session, as_of) -> None:
    """The running means from the kept totals equal the full recomputation, for the fleet and for a block."""
    expected = full_means(session, as_of)
    kept = fleet.running_means(session, as_of)
    assert list(kept.index) == list(expected.index)
    assert kept["readings"].tolist() == expected["readings"].tolist()
    for sensor in fleet.SENSORS:
        assert kept[sensor].to_numpy() == pytest.approx(expected[sensor].to_numpy(), rel=1e-9)
    block = fleet.running_means(session, as_of, ["TRK-002", "TRK-017"])
    assert block.equals(kept.loc[["TRK-002", "TRK-017"]])


def test_running_means_equal_the_full_recomputation_after_seeding_simulated_days_and_edits(seeded_url):
    stepper, _ = TwinDays.generate(7)  # the seeded twin is this scenario: the stepper continues it
    engine = make_engine(seeded_url)
    with Session(engine) as session:
        assert_means_match(session, AS_OF)
        for _ in range(2):
            stepper.step(session)
        now = store.clock(session)
        assert_means_match(session, now)
        assert_means_match(session, now - timedelta(days=5))  # readings after `as_of` are taken out of the totals
        first = session.exec(select(m.TelemetryReading).where(m.TelemetryReading.truck == "TRK-004")).first()
        first.engine_temp_c += 40.0  # a reading corrected in place
        session.add(first)
        session.exec(delete(m.TelemetryReading).where(m.TelemetryReading.truck == "TRK-009"))  # a truck's history gone
        session.add(hot_reading("TRK-011"))
        session.commit()
        assert_means_match(session, now)
        assert "TRK-009" not in fleet.running_means(session, now).index
    engine.dispose()
