"""The frame builders against a plain per-row computation over the seeded twin's stored rows."""

from datetime import date, timedelta

import pandas as pd
from sqlalchemy import delete
from sqlmodel import Session, col, select

from twin import frames, store
from twin import models as m


def expected_shipment(session: Session, shipment: m.Shipment) -> dict:
    """One shipment's model inputs computed row by row from its own stored scans and its origin's conditions."""
    lane = session.get(m.Lane, shipment.lane)
    region = session.get(m.Location, shipment.origin).region
    local = shipment.lane[:3] == shipment.lane[4:]
    planned = shipment.distance_miles / 30 + 2 if local else shipment.distance_miles / 48 + 8
    halfway = shipment.shipped_at + timedelta(hours=planned / 2)
    scans = session.exec(select(m.ScanEvent).where(m.ScanEvent.shipment_id == shipment.id)).all()
    condition = session.exec(
        select(m.RegionCondition).where(
            m.RegionCondition.region == region, m.RegionCondition.day == shipment.shipped_at.date()
        )
    ).first()
    return {
        "shipment_id": shipment.id,
        "dest_region": lane.dest_region,
        "carrier": shipment.carrier,
        "planned_transit_hours": planned,
        "slack_hours": (shipment.promised_at - shipment.shipped_at).total_seconds() / 3600
        - planned
        + shipment.expedited_hours,
        "scan_delay_minutes": sum(s.delay_minutes for s in scans if s.delay_minutes > 0 and s.at <= halfway),
        "weather": condition.weather if condition else None,
        "congestion": condition.congestion if condition else None,
        "late": None if shipment.delivered_at is None else shipment.delivered_at > shipment.promised_at,
    }


def as_records(frame: pd.DataFrame) -> list[dict]:
    """The compared columns of a shipment frame as plain records."""
    columns = [
        "shipment_id",
        "dest_region",
        "carrier",
        "planned_transit_hours",
        "slack_hours",
        "scan_delay_minutes",
        "weather",
        "congestion",
        "late",
    ]
    rows = frame[columns].astype(object).where(frame[columns].notna(), None)
    return [rounded(row) for row in rows.to_dict("records")]


def rounded(record: dict) -> dict:
    """A record with its floats rounded to 9 decimals (the frame computes hours in vectors, the test one by one)."""
    return {key: round(value, 9) if isinstance(value, float) else value for key, value in record.items()}


def test_shipment_frames_match_a_row_by_row_computation(engine):
    with Session(engine) as session:
        in_transit = session.exec(
            select(m.Shipment).where(m.Shipment.status == "in_transit").order_by(m.Shipment.id)
        ).all()
        delivered = session.exec(
            select(m.Shipment).where(m.Shipment.status == "delivered").order_by(m.Shipment.id).limit(40)
        ).all()
        sample = [*delivered, *in_transit]
        expected = {s.id: expected_shipment(session, s) for s in sample}
        by_ids = frames.shipment_frame(session, ids=[s.id for s in sample])
        by_status = frames.shipment_frame(session, status="in_transit")
        whole = frames.shipment_frame(session)
        single = frames.shipment_frame(session, ids=[in_transit[0].id])
        nothing = frames.shipment_frame(session, ids=[])
    assert in_transit and any(row["scan_delay_minutes"] for row in expected.values())
    expected = {key: rounded(record) for key, record in expected.items()}
    assert as_records(by_ids) == [expected[i] for i in sorted(expected)]
    assert as_records(by_status) == [expected[s.id] for s in in_transit]
    assert as_records(single) == [expected[in_transit[0].id]]
    assert as_records(whole[whole["shipment_id"].isin(expected)]) == as_records(by_ids)
    assert nothing.empty and list(nothing.columns) == list(whole.columns)


def test_sku_demand_frame_holds_the_stored_days_with_their_calendar(engine):
    with Session(engine) as session:
        frame = frames.sku_demand_frame(session, "SKU-0007")
        stored = session.exec(
            select(m.DemandHistory)
            .where(m.DemandHistory.sku == "SKU-0007")
            .order_by(m.DemandHistory.location, m.DemandHistory.day)
        ).all()
        calendar = {day.day: day for day in session.exec(select(m.CalendarDay)).all()}
    expected = [
        (r.sku, r.location, r.day, r.units, r.price, r.promo, getattr(calendar.get(r.day), "holiday", None))
        for r in stored
    ]
    columns = ["sku", "location", "day", "units", "price", "promo", "holiday"]
    actual = frame[columns].astype(object).where(frame[columns].notna(), None)
    assert [tuple(row) for row in actual.itertuples(index=False)] == expected
    assert frame["holiday"].notna().any()


def test_the_calendar_names_the_holidays_of_the_year_ahead_of_the_clock(engine):
    with Session(engine) as session:
        calendar = frames.calendar_frame(session)
        clock = store.clock(session)
    ahead = calendar[calendar["day"] >= pd.Timestamp(clock.date())]
    assert len(ahead) >= 365 and ahead["day"].is_monotonic_increasing
    named = dict(zip(ahead["day"].dt.date, ahead["holiday"], strict=True))
    assert named[date(2026, 11, 26)] == "Thanksgiving" and named[date(2026, 12, 25)] == "Christmas Day"


def same_as_a_fresh_read(session: Session) -> pd.DataFrame:
    """The kept demand frame, checked against the whole history read afresh."""
    frame = frames.demand_frame(session)
    pd.testing.assert_frame_equal(frame, frames.DemandFrames().frame(session))
    return frame


def test_the_kept_demand_frame_takes_in_new_days_series_and_removals_as_a_fresh_read(engine):
    with Session(engine) as session:
        before = same_as_a_fresh_read(session)
        series = list(before[["sku", "location"]].drop_duplicates().itertuples(index=False))
        for k, (sku, location) in enumerate(series):  # one more day everywhere, Thanksgiving for some
            day = date(2026, 11, 26) if k % 3 == 0 else date(2026, 11, 2)
            session.add(m.DemandHistory(sku=sku, location=location, day=day, units=k, price=9.5, promo=k % 2 == 0))
        session.flush()
        grown = same_as_a_fresh_read(session)
        session.add(m.DemandHistory(sku="SKU-9999", location="DC-DAL", day=date(2026, 11, 2), units=1, price=1.0))
        session.flush()
        same_as_a_fresh_read(session)
        gone = session.exec(
            delete(m.DemandHistory).where(
                col(m.DemandHistory.sku) == "SKU-0001", col(m.DemandHistory.day) == date(2026, 11, 2)
            )
        ).rowcount
        session.add(m.DemandHistory(sku="SKU-0002", location="DC-DAL", day=date(2026, 11, 3), units=2, price=1.0))
        session.flush()
        after = same_as_a_fresh_read(session)
    assert len(grown) == len(before) + len(series) and "Thanksgiving" in set(grown["holiday"].dropna())
    assert gone > 0 and len(after) == len(grown) + 2 - gone
