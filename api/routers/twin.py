"""The twin: summary of the loaded network and event ingestion from the systems of record."""

from fastapi import APIRouter, Request

from api.auth import IntegratorDep, PrincipalDep
from api.deps import SessionDep
from api.metrics import MetricsDep
from twin import access, events, store

router = APIRouter(prefix="/v1", tags=["twin"])


@router.get("/twin/summary")
def twin_summary(session: SessionDep, _principal: PrincipalDep) -> dict:
    """Counts of DCs, SKUs, carriers, trucks, shipments and days of history."""
    return store.summary(session)


@router.post("/events", response_model=events.IngestResult)
def post_events(
    batch: events.EventBatch, request: Request, session: SessionDep, metrics: MetricsDep, principal: IntegratorDep
) -> events.IngestResult:
    """Apply a batch of events; replays change nothing and a bad record (a wrong or missing field, a value out of
    range, an unknown code, an event older than `event_max_age_h` before the twin's clock) rejects the whole batch
    with a 422 naming the record and field."""
    result = events.ingest(session, batch, request.app.state.settings.event_max_age_h)
    access.audit(session, principal.name, "events_ingested", **result.model_dump())
    metrics.count_quality("events", "duplicate", result.duplicates)
    return result
