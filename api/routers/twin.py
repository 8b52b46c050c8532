"""The twin: summary of the loaded network and event ingestion from the systems of record."""

from fastapi import APIRouter

from api.auth import IntegratorDep, PrincipalDep
from api.deps import SessionDep
from twin import access, events, store

router = APIRouter(prefix="/v1", tags=["twin"])


@router.get("/twin/summary")
def twin_summary(session: SessionDep, _principal: PrincipalDep) -> dict:
    """Counts of DCs, SKUs, carriers, trucks, shipments and days of history."""
    return store.summary(session)


@router.post("/events", response_model=events.IngestResult)
def post_events(batch: events.EventBatch, session: SessionDep, principal: IntegratorDep) -> events.IngestResult:
    """Apply a batch of events; replays change nothing and a bad record rejects the whole batch."""
    result = events.ingest(session, batch)
    access.audit(session, principal.name, "events_ingested", **result.model_dump())
    return result
