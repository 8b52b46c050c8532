"""Intake: duplicates merge within a window measured on the twin's clock, never the wall clock."""

from datetime import UTC, datetime, timedelta

from sqlmodel import Session

from agents.schemas import ExceptionIn, ExceptionType, Refs
from graph.intake import claim_exception, take_in
from twin import models as m
from twin import store

REPORT = ExceptionIn(type=ExceptionType.stockout_risk, refs=Refs(sku="SKU-0053", location="DC-HOU"), source="wms")


def _move_clock(session: Session, hours: float) -> None:
    """Advance the twin's clock, as a simulated day does."""
    meta = session.get(m.TwinMeta, "as_of")
    meta.value = (store.as_of(session) + timedelta(hours=hours)).isoformat()
    session.add(meta)
    session.commit()


def test_duplicate_windows_run_on_the_twins_clock(engine):
    with Session(engine) as session:
        first = take_in(session, REPORT, "test", None, lease_s=60, window_h=24)
        record = session.get(m.ExceptionRecord, first.exception_id)
        assert first.new and record.occurred_at.replace(tzinfo=None) == store.as_of(session).replace(tzinfo=None)
        record.status, record.decided_at = "closed", datetime.now(UTC)  # decided
        session.add(record)
        session.commit()
        _move_clock(session, 23)
        again = take_in(session, REPORT, "test", None, lease_s=60, window_h=24)
        assert again.duplicate_of == first.exception_id  # within a day on the twin: the same subject merges
        session.commit()
        _move_clock(session, 2)  # 25 twin hours after the first report, seconds on the wall clock
        later = take_in(session, REPORT, "test", None, lease_s=60, window_h=24)
        assert later.new and later.duplicate_of is None


def test_a_later_try_of_one_job_takes_over_the_claim_its_earlier_try_left(engine):
    with Session(engine) as session:
        taken = take_in(session, REPORT, "test", None, lease_s=60, window_h=24, claimed=False)
        earlier = claim_exception(session, taken.exception_id, 60, "job-7")
        assert earlier is not None and earlier.token.startswith("job-7:")
        assert claim_exception(session, taken.exception_id, 60) is None, "the lease is live"
        assert claim_exception(session, taken.exception_id, 60, "job-8") is None, "another job waits for it"
        assert claim_exception(session, taken.exception_id, 60, "job-77") is None
        later = claim_exception(session, taken.exception_id, 60, "job-7")
        assert later is not None and later.token != earlier.token
        record = session.get(m.ExceptionRecord, taken.exception_id)
        assert (record.claim, record.intake, record.attempts) == (later.token, "deciding", 2)
