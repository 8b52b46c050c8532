"""A model's performance history kept on a twin as the detector pass keeps it, for the tests that read it back."""

from datetime import datetime, timedelta

from pydantic import BaseModel, Field

from twin import models as m
from twin import monitoring, store
from twin.db import make_engine, session_scope


class Measured(BaseModel):
    """One day's performance of a model: how many days before the twin's clock, on how many rows, what it scored."""

    days_back: int
    rows: int
    metrics: dict[str, float]
    breaches: list[str] = Field(default_factory=list)


def keep_performance(database_url: str, model: str, version: str, measured: list[Measured]) -> datetime:
    """Store each day's performance run of the model version on the twin at `database_url`; returns the twin's clock
    the days are counted back from."""
    engine = make_engine(database_url)
    with session_scope(engine) as session:
        now = store.clock(session)
        for day in measured:
            moment = now - timedelta(days=day.days_back)
            monitoring.keep(
                session,
                m.ModelMonitorRun(
                    model=model,
                    version=version,
                    kind="performance",
                    day=moment.date(),
                    measured_at=moment,
                    window_start=moment - timedelta(days=14),
                    window_end=moment,
                    rows=day.rows,
                    metrics=day.metrics,
                    breaches=day.breaches,
                ),
            )
    engine.dispose()
    return now
