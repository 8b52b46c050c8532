"""Decision records stored directly, for tests of what reads executed actions back."""

from datetime import datetime

from sqlmodel import Session

from twin import models as m


def decided(session: Session, code: str, at: datetime, twin_at: datetime | None = None) -> str:
    """Store exception EXC-`code`, raised at `at`, and its executed decision DEC-`code`; the decision's id."""
    session.add(m.ExceptionRecord(id=f"EXC-{code}", occurred_at=at, created_at=at))
    session.flush()
    session.add(
        m.DecisionRecord(
            id=f"DEC-{code}",
            exception_id=f"EXC-{code}",
            specialist="test",
            status="executed",
            confidence=1.0,
            thread_id=f"EXC-{code}",
            created_at=at,
            updated_at=at,
            twin_at=twin_at,
        )
    )
    session.flush()
    return f"DEC-{code}"
