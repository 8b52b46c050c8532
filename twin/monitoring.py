"""The monitoring history of the models: drift and performance runs, one of each kind a model version a day."""

from datetime import datetime

from sqlmodel import Session, col, select

from twin import models as m


def measured(session: Session, model: str, version: str, kind: str, moment: datetime) -> m.ModelMonitorRun | None:
    """The run of this kind kept for a model version on the twin day of `moment`, if any."""
    return session.exec(
        select(m.ModelMonitorRun).where(
            col(m.ModelMonitorRun.model) == model,
            col(m.ModelMonitorRun.version) == version,
            col(m.ModelMonitorRun.kind) == kind,
            col(m.ModelMonitorRun.day) == moment.date(),
        )
    ).first()


def keep(session: Session, run: m.ModelMonitorRun) -> m.ModelMonitorRun:
    """Keep a run, replacing the one of the same model version, kind and day (a later pass measures again)."""
    earlier = measured(session, run.model, run.version, run.kind, run.measured_at)
    if earlier is not None:
        session.delete(earlier)
        session.flush()
    session.add(run)
    session.flush()
    return run


def history(session: Session, model: str, kind: str | None = None, limit: int = 365) -> list[m.ModelMonitorRun]:
    """A model's runs (of one kind, or all), oldest first, the latest `limit` of them."""
    query = select(m.ModelMonitorRun).where(col(m.ModelMonitorRun.model) == model)
    if kind is not None:
        query = query.where(col(m.ModelMonitorRun.kind) == kind)
    newest = session.exec(
        query.order_by(col(m.ModelMonitorRun.measured_at).desc(), col(m.ModelMonitorRun.id).desc()).limit(limit)
    ).all()
    return list(reversed(newest))


def latest(session: Session, model: str, version: str, kind: str) -> m.ModelMonitorRun | None:
    """The newest run of this kind of a model version."""
    return session.exec(
        select(m.ModelMonitorRun)
        .where(
            col(m.ModelMonitorRun.model) == model,
            col(m.ModelMonitorRun.version) == version,
            col(m.ModelMonitorRun.kind) == kind,
        )
        .order_by(col(m.ModelMonitorRun.measured_at).desc(), col(m.ModelMonitorRun.id).desc())
    ).first()
