"""The twin: summary of the loaded network and event ingestion from the systems of record."""

from fastapi import APIRouter

from api.deps import SessionDep
from twin import events, store

router = APIRouter(prefix="/v1", tags=["twin"])


@router.get("/twin/summary")
def twin_summary(session: SessionDep) -> dict:
    """Counts of DCs, SKUs, carriers, trucks, shipments and days of history."""
    return store.summary(session)


@router.post("/events", response_model=events.IngestResult)
def post_events(batch: events.EventBatch, session: SessionDep) -> events.IngestResult:
    """Apply a batch of events; replays change nothing and a bad record rejects the whole batch."""
    return events.ingest(session, batch)
