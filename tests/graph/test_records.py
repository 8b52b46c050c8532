"""Audit events noted during a run and written later with the decision's transaction."""

from datetime import UTC, datetime

from sqlmodel import Session, select

from agents.schemas import ExceptionType
from graph.records import note, write_notes
from twin import models as m
from twin.db import make_engine


def test_noted_events_keep_their_time_and_order_and_are_written_as_plain_json(seeded_url):
    before = datetime.now(UTC)
    first = note("exception.classified", "classifier", type=ExceptionType.late_shipment, missing=[])
    second = note("policy.evaluated", "policy", "DEC-1", level="execute")
    assert before <= first.at <= second.at
    assert first.detail == {"type": "late_shipment", "missing": []}
    engine = make_engine(seeded_url)
    with Session(engine) as session:
        write_notes(session, "EXC-1", [first, second])
        session.commit()
        rows = session.exec(select(m.AuditEvent).where(m.AuditEvent.exception_id == "EXC-1")).all()
    engine.dispose()
    assert [(row.kind, row.actor, row.decision_id) for row in rows] == [
        ("exception.classified", "classifier", None),
        ("policy.evaluated", "policy", "DEC-1"),
    ]
    assert rows[0].detail == {"type": "late_shipment", "missing": []}
    assert rows[0].at.replace(tzinfo=UTC) == first.at
