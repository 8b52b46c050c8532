"""Precedents indexed after commit, on SQLite and PostgreSQL: pending rows, claims, many indexers, the thread."""

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from sqlalchemy import update
from sqlmodel import select

from agents.schemas import ExceptionIn
from graph.desk import Desk, open_desk
from graph.precedents import INDEXED, PENDING, RETIRED, index_pending
from twin import models as m
from twin import store

LATE = {"type": "late_shipment", "refs": {"shipment_id": "SHP-009284"}}
SHIPMENTS = ("SHP-009284", "SHP-009267", "SHP-009270", "SHP-009276")


def _states(desk: Desk) -> dict[str, str | None]:
    """Each decision's precedent state."""
    with desk.toolbox.session() as session:
        return dict(session.exec(select(m.DecisionRecord.id, m.DecisionRecord.precedent_state)).all())


def _stored(desk: Desk, decision_id: str) -> bool:
    """Whether the knowledge base holds the decision's precedent."""
    return bool(desk.toolbox.knowledge.precedents.get(ids=[decision_id])["ids"])


def test_a_decision_becomes_a_findable_precedent_after_indexing(desk_settings):
    with open_desk(desk_settings) as opened:
        desk = Desk(opened.toolbox, opened.graph.checkpointer, indexing="sweep")
        decision = desk.submit(ExceptionIn.model_validate(LATE), actor="test")
        assert _states(desk) == {decision.decision_id: PENDING} and not _stored(desk, decision.decision_id)
        assert index_pending(desk.toolbox) == 1
        assert _states(desk) == {decision.decision_id: INDEXED} and index_pending(desk.toolbox) == 0
        hits = desk.toolbox.knowledge.similar_precedents(
            decision.justification.text, k=1, exception_type="late_shipment"
        )
        assert [hit.id for hit in hits] == [decision.decision_id]
        assert hits[0].metadata["status"] == decision.status
        assert hits[0].metadata["action_types"] == [a.type for a in decision.actions]


def test_an_inline_desk_indexes_each_precedent_before_the_next_decision(desk_settings):
    with open_desk(desk_settings) as opened:
        desk = Desk(opened.toolbox, opened.graph.checkpointer, indexing="inline")
        first = desk.submit(ExceptionIn.model_validate(LATE), actor="test")
        assert _states(desk) == {first.decision_id: INDEXED} and _stored(desk, first.decision_id)
        second = desk.submit(ExceptionIn(type="late_shipment", refs={"shipment_id": SHIPMENTS[1]}), actor="test")
        assert _states(desk) == {first.decision_id: INDEXED, second.decision_id: INDEXED}


def test_many_indexers_index_each_precedent_once_and_a_dead_ones_claim_lapses(desk_settings):
    with open_desk(desk_settings) as opened:
        desk = Desk(opened.toolbox, opened.graph.checkpointer, indexing="sweep")
        decisions = [
            desk.submit(ExceptionIn(type="late_shipment", refs={"shipment_id": code}), actor="test")
            for code in SHIPMENTS
        ]
        table = m.DecisionRecord
        with desk.toolbox.session() as session:  # a process that died while indexing the first one
            session.execute(
                update(table)
                .where(table.id == decisions[0].decision_id)
                .values(precedent_claim="dead", precedent_lease_until=datetime.now(UTC) + timedelta(minutes=5))
            )
            session.commit()
        with ThreadPoolExecutor(4) as pool:
            counts = list(pool.map(lambda _: index_pending(desk.toolbox, limit=2), range(4)))
        assert sum(counts) == len(SHIPMENTS) - 1 and max(counts) <= 2
        assert _states(desk)[decisions[0].decision_id] == PENDING and not _stored(desk, decisions[0].decision_id)
        with desk.toolbox.session() as session:
            session.execute(
                update(table)
                .where(table.id == decisions[0].decision_id)
                .values(precedent_lease_until=datetime.now(UTC) - timedelta(seconds=1))
            )
            session.commit()
        assert desk.sweep()["indexed"] == 1
        assert set(_states(desk).values()) == {INDEXED}
        assert all(_stored(desk, decision.decision_id) for decision in decisions)
        assert desk.toolbox.knowledge.precedents.count() == len(SHIPMENTS)


def test_the_desk_indexes_in_the_background_after_each_decision(desk):
    decision = desk.submit(ExceptionIn.model_validate(LATE), actor="test")
    desk.indexer.wait(timeout=60)
    assert _states(desk) == {decision.decision_id: INDEXED} and _stored(desk, decision.decision_id)


def test_the_sweep_retires_precedents_past_the_retention_and_keeps_the_rest(desk):
    old = desk.submit(ExceptionIn.model_validate(LATE), actor="test")
    desk.indexer.wait(timeout=60)
    recent = desk.submit(ExceptionIn(type="late_shipment", refs={"shipment_id": SHIPMENTS[1]}), actor="test")
    desk.indexer.wait(timeout=60)
    table = m.DecisionRecord
    with desk.toolbox.session() as session:
        session.execute(
            update(table).where(table.id == old.decision_id).values(twin_at=store.clock(session) - timedelta(days=91))
        )
        session.commit()
    assert desk.sweep()["retired"] == 1
    assert _states(desk) == {old.decision_id: RETIRED, recent.decision_id: INDEXED}
    assert not _stored(desk, old.decision_id) and _stored(desk, recent.decision_id)
    assert desk.sweep()["retired"] == 0
    desk.settings = desk.settings.model_copy(update={"precedent_retention_days": 0.0})
    with desk.toolbox.session() as session:
        session.execute(update(table).values(twin_at=store.clock(session) - timedelta(days=400)))
        session.commit()
    assert desk.sweep()["retired"] == 0, "0 keeps every precedent"
