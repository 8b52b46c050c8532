"""Tests of event ingestion: validation, deduplication, all-or-nothing batches."""

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError
from sqlmodel import Session, select

from twin import events, store
from twin import models as m

AT = "2026-11-02T09:30:00+00:00"


def batch(*records: dict) -> events.EventBatch:
    """A validated batch from plain records."""
    return events.EventBatch.model_validate({"events": list(records)})


def scan(event_id: str, shipment: str, kind: str = "delay", delay: int = 45) -> dict:
    """A shipment scan record."""
    return {
        "kind": "shipment_scan",
        "event_id": event_id,
        "shipment_id": shipment,
        "scan": kind,
        "location": "hub",
        "at": AT,
        "delay_minutes": delay,
    }


def open_shipment(session: Session) -> str:
    """The id of a shipment still in transit."""
    return session.exec(select(m.Shipment.id).where(m.Shipment.status == "in_transit")).first()


def test_replaying_a_batch_changes_nothing(engine):
    with Session(engine) as session:
        shipment = open_shipment(session)
    records = batch(
        scan("e-1", shipment),
        {
            "kind": "inventory_movement",
            "event_id": "e-2",
            "sku": "SKU-0001",
            "location": "DC-DAL",
            "on_hand_delta": -5,
            "at": AT,
        },
        {
            "kind": "telemetry",
            "event_id": "e-3",
            "truck": "TRK-001",
            "at": AT,
            "engine_temp_c": 91.0,
            "oil_pressure_kpa": 300.0,
            "vibration_mm_s": 2.5,
            "miles_since_service": 1200.0,
        },
        {
            "kind": "order",
            "event_id": "e-4",
            "order_id": "ORD-NEW-1",
            "customer": "CUST-0001",
            "dc": "DC-DAL",
            "promised_date": "2026-11-05",
            "lines": [{"sku": "SKU-0002", "qty": 3}],
            "at": AT,
        },
    )
    with Session(engine) as session:
        assert events.ingest(session, records) == events.IngestResult(accepted=4, duplicates=0)
        session.commit()
        after_first = store.content_hash(session)
    with Session(engine) as session:
        assert events.ingest(session, records) == events.IngestResult(accepted=0, duplicates=4)
        session.commit()
        assert store.content_hash(session) == after_first
        assert session.get(m.Order, "ORD-NEW-1").customer == "CUST-0001"


def test_delivered_scan_closes_the_shipment(engine):
    with Session(engine) as session:
        shipment = open_shipment(session)
        events.ingest(session, batch(scan("d-1", shipment, kind="delivered", delay=0)))
        session.commit()
        closed = session.get(m.Shipment, shipment)
    assert closed.status == "delivered" and closed.delivered_at == datetime(2026, 11, 2, 9, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        (scan("x-2", "SHP-999999"), "shipment_id"),
        (
            {
                "kind": "inventory_movement",
                "event_id": "x-2",
                "sku": "SKU-0001",
                "location": "DC-DAL",
                "on_hand_delta": -10_000_000,
                "at": AT,
            },
            "on_hand_delta",
        ),
        (
            {
                "kind": "telemetry",
                "event_id": "x-2",
                "truck": "TRK-999",
                "at": AT,
                "engine_temp_c": 90.0,
                "oil_pressure_kpa": 300.0,
                "vibration_mm_s": 2.0,
                "miles_since_service": 10.0,
            },
            "truck",
        ),
    ],
)
def test_a_record_that_does_not_fit_the_twin_rejects_the_whole_batch(engine, bad, field):
    with Session(engine) as session:
        shipment = open_shipment(session)
        before = store.content_hash(session)
    with Session(engine) as session, pytest.raises(events.EventRejected) as rejected:
        events.ingest(session, batch(scan("x-1", shipment), bad))
    assert rejected.value.loc == ("body", "events", 1, field)
    with Session(engine) as session:
        assert store.content_hash(session) == before
        assert session.get(m.ProcessedEvent, "x-1") is None


def test_malformed_records_fail_validation_naming_the_field():
    with pytest.raises(ValidationError) as error:
        batch(scan("ok", "SHP-000001"), {**scan("bad", "SHP-000001"), "at": "yesterday"})
    assert error.value.errors()[0]["loc"][:3] == ("events", 1, "shipment_scan")
    with pytest.raises(ValidationError):
        batch()


def test_an_event_older_than_the_age_limit_is_rejected_as_late_naming_its_time(engine):
    with Session(engine) as session:
        shipment = open_shipment(session)
        old = {**scan("old-1", shipment), "at": "2026-10-20T08:00:00+00:00"}
        with pytest.raises(events.EventRejected) as rejected:
            events.ingest(session, batch(scan("new-1", shipment), old), max_age_h=72)
        assert (rejected.value.loc, rejected.value.reason) == (("body", "events", 1, "at"), "late")
        assert events.ingest(session, batch(old)).accepted == 1  # without a limit, history may be loaded


def test_an_unknown_code_is_a_reference_problem_and_a_stock_below_zero_a_range_one(engine):
    with Session(engine) as session:
        with pytest.raises(events.EventRejected) as unknown:
            events.ingest(session, batch(scan("u-1", "SHP-999999")))
        assert unknown.value.reason == "reference"
        movement = {
            "kind": "inventory_movement",
            "event_id": "mv-1",
            "sku": "SKU-0001",
            "location": "DC-DAL",
            "on_hand_delta": -(10**8),
            "at": AT,
        }
        with pytest.raises(events.EventRejected) as below:
            events.ingest(session, batch(movement))
        assert (below.value.loc[-1], below.value.reason) == ("on_hand_delta", "range")
