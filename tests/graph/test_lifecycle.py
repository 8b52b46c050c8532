"""The decision life cycle: duplicates merge, idempotency keys bind their body, stale approvals are superseded,
pending decisions expire, and a verdict is applied once."""

import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import event, func
from sqlmodel import Session, select

from agents.schemas import Decision, ExceptionIn
from graph import desk as graph_desk
from graph.desk import DecisionConflict, IdempotencyMismatch
from graph.state import Verdict
from tests.faults.invariants import assert_decided_once
from tests.graph.test_desk import require_approval, set_policies
from twin import models as m
from twin import store
from twin.actions import TransferStock

CAPACITY = {
    "type": "carrier_capacity",
    "refs": {"carrier": "CAR-REDRIVER"},
    "description": "Red River loses 30% of its capacity next week",
}
CARRIERS = ["CAR-REDRIVER", "CAR-METRO", "CAR-PRAIRIE"]
STOCKOUT = {"type": "stockout_risk", "refs": {"sku": "SKU-0040", "location": "DC-DAL"}}  # covered by transfers


def count(desk, table, *where) -> int:
    """Rows of a table matching the conditions."""
    with desk.toolbox.session() as session:
        return session.exec(select(func.count()).select_from(table).where(*where)).one()


def test_a_duplicate_merges_into_the_open_or_recent_decision_and_not_after_the_window(desk):
    first = desk.submit(ExceptionIn.model_validate(CAPACITY), actor="tms")
    again = desk.submit(ExceptionIn.model_validate({**CAPACITY, "source": "detector", "severity": "high"}))
    assert again.decision_id == first.decision_id and again.duplicate_of == first.exception_id
    assert first.duplicate_of is None and count(desk, m.DecisionRecord) == 1
    other_subject = desk.submit(ExceptionIn.model_validate({**CAPACITY, "refs": {"carrier": "CAR-METRO"}}))
    assert other_subject.decision_id != first.decision_id and other_subject.duplicate_of is None
    desk.settings = desk.settings.model_copy(update={"duplicate_window_h": 0})
    later = desk.submit(ExceptionIn.model_validate(CAPACITY))
    assert later.decision_id != first.decision_id and later.duplicate_of is None
    assert count(desk, m.ExceptionRecord, m.ExceptionRecord.duplicate_of == first.exception_id) == 1


def test_exceptions_racing_on_one_subject_make_one_decision(desk):
    with ThreadPoolExecutor(4) as pool:
        answers = list(
            pool.map(lambda n: desk.submit(ExceptionIn.model_validate({**CAPACITY, "source": f"s{n}"})), range(4))
        )
    assert len({a.decision_id for a in answers}) == 1 and count(desk, m.DecisionRecord) == 1
    primary = answers[0].exception_id
    assert sum(a.duplicate_of is None for a in answers) == 1 and {a.duplicate_of for a in answers} == {None, primary}
    assert_decided_once(desk.settings.resolved_database_url, primary)


def test_an_idempotency_key_is_bound_to_its_first_body(desk):
    first = desk.submit(ExceptionIn.model_validate(CAPACITY), idempotency_key="k-1")
    assert desk.submit(ExceptionIn.model_validate(CAPACITY), idempotency_key="k-1").decision_id == first.decision_id
    with pytest.raises(IdempotencyMismatch, match="k-1"):
        desk.submit(ExceptionIn.model_validate({**CAPACITY, "severity": "critical"}), idempotency_key="k-1")


def test_an_approval_whose_stock_moved_is_superseded_by_a_decision_on_current_facts(desk, desk_settings, caplog):
    require_approval(desk_settings, "transfer_stock")
    pending = desk.submit(ExceptionIn.model_validate(STOCKOUT))
    assert pending.status == "pending_approval", pending.status
    transfer = next(item for item in pending.actions if isinstance(item, TransferStock))
    with Session(desk.toolbox.engine) as session:  # another decision took the stock at the origin
        position = session.exec(
            select(m.InventoryPosition).where(
                m.InventoryPosition.sku == "SKU-0040", m.InventoryPosition.location == transfer.params.from_
            )
        ).one()
        position.on_hand = max(0, position.on_hand - int(transfer.params.qty) - 10)
        session.add(position)
        session.commit()
    with caplog.at_level(logging.WARNING):
        answer = desk.resume(pending.decision_id, Verdict(verdict="approve", actor="planner-1", reason="go"))
    assert answer.status == "superseded" and answer.superseded_by and answer.superseded_by != pending.decision_id
    assert not [r for r in caplog.records if "unregistered type" in r.getMessage()]
    assert (
        count(
            desk, m.ActionRecord, m.ActionRecord.decision_id == pending.decision_id, m.ActionRecord.status == "executed"
        )
        == 0
    )
    with desk.toolbox.session() as session:
        fresh = session.get(m.DecisionRecord, answer.superseded_by)
        [why] = session.exec(select(m.AuditEvent).where(m.AuditEvent.kind == "decision.superseded")).all()
    assert fresh is not None and fresh.status != "superseded"
    assert any(f"stock SKU-0040 at {transfer.params.from_}: on_hand" in change for change in why.detail["changes"])
    assert_decided_once(desk.settings.resolved_database_url, pending.exception_id)
    with pytest.raises(DecisionConflict, match="superseded"):
        desk.resume(pending.decision_id, Verdict(verdict="approve", actor="planner-2"))


def advance_twin_clock(desk, hours: float) -> None:
    """Move the twin's clock ahead, as a simulated day does."""
    with desk.toolbox.session() as session:
        store.set_clock(session, store.clock(session) + timedelta(hours=hours))
        session.commit()


def test_a_pending_decision_expires_after_its_time_to_live_on_the_twins_clock_and_takes_no_verdict(desk, desk_settings):
    require_approval(desk_settings, "retender_loads")
    first = desk.submit(ExceptionIn.model_validate(CAPACITY))
    second = desk.submit(ExceptionIn.model_validate({**CAPACITY, "refs": {"carrier": "CAR-METRO"}}))
    assert first.status == second.status == "pending_approval"
    advance_twin_clock(desk, 23.5)  # within the 24 h time-to-live of retender_loads
    assert desk.sweep() == {
        "decided": 0,
        "requeued": 0,
        "failed": 0,
        "verdicts": 0,
        "expired": 0,
        "indexed": 0,
        "pruned": 0,
        "retired": 0,
        "errors": 0,
    }
    advance_twin_clock(desk, 1.0)
    with pytest.raises(DecisionConflict, match="expired"):
        desk.resume(second.decision_id, Verdict(verdict="approve", actor="planner-1"))
    assert desk.sweep() == {
        "decided": 0,
        "requeued": 0,
        "failed": 0,
        "verdicts": 0,
        "expired": 1,
        "indexed": 0,
        "pruned": 0,
        "retired": 0,
        "errors": 0,
    }
    for decision in (first, second):
        assert assert_decided_once(desk.settings.resolved_database_url, decision.exception_id).status == "expired"
        with pytest.raises(DecisionConflict, match="expired"):
            desk.resume(decision.decision_id, Verdict(verdict="approve", actor="planner-1"))
    fresh = desk.submit(ExceptionIn.model_validate(CAPACITY))  # an expired decision takes no duplicates
    assert fresh.decision_id != first.decision_id and fresh.duplicate_of is None


def test_late_shipment_decisions_wait_less_than_the_default(desk):
    late, other = "expedite_shipment", "retender_loads"
    made = desk.toolbox.now()
    assert (desk._expiry(made, [late, other]) - made).total_seconds() == 4 * 3600
    assert (desk._expiry(made, [other]) - made).total_seconds() == 24 * 3600
    assert (desk._expiry(made, []) - made).total_seconds() == 24 * 3600


def test_the_sweep_reads_every_waiting_decision_a_page_at_a_time_without_its_payload(desk, desk_settings, monkeypatch):
    require_approval(desk_settings, "retender_loads")
    waiting = [desk.submit(ExceptionIn.model_validate({**CAPACITY, "refs": {"carrier": code}})) for code in CARRIERS]
    assert {decision.status for decision in waiting} == {"pending_approval"}
    with desk.toolbox.session() as session:
        stored = {record.id: record.action_types for record in session.exec(select(m.DecisionRecord)).all()}
    assert stored == {decision.decision_id: ["retender_loads"] for decision in waiting}
    monkeypatch.setattr(graph_desk, "WAITING_PAGE", 2)
    statements: list[str] = []
    event.listen(desk.toolbox.engine, "before_cursor_execute", lambda *call: statements.append(call[2]))
    advance_twin_clock(desk, 23.5)
    assert desk.sweep()["expired"] == 0
    assert not [sql for sql in statements if sql.startswith("SELECT") and "payload" in sql], statements
    advance_twin_clock(desk, 1.0)
    assert desk.sweep()["expired"] == len(CARRIERS)  # the last page too


TRUCK_RISK = {"type": "equipment_failure_risk", "refs": {"asset_id": "TRK-008"}}
MAINTENANCE_PLAN = {"type": "maintenance_plan", "refs": {"day": "2026-11-02"}}


@pytest.mark.parametrize(
    ("exception", "approved"), [(TRUCK_RISK, True), (MAINTENANCE_PLAN, False)], ids=["truck-approved", "plan-alone"]
)
def test_a_truck_booked_while_its_decision_was_made_is_decided_again_and_booked_once(
    desk, desk_settings, monkeypatch, exception, approved
):
    from agents import policy
    from graph import nodes

    set_policies(  # these action types may execute without a person, whatever their cost or confidence
        desk_settings,
        ["schedule_maintenance", "replan_route", "tender_stops"],
        level="act",
        autonomy_level=4,
        safety_critical=False,
        max_cost_usd=None,
        min_confidence=None,
    )
    if not approved:  # lift the safety gate so that the removals execute without a person
        monkeypatch.setattr(policy, "_safety_critical", lambda _action: False)
    withheld, booked = nodes.withheld, []

    def booked_meanwhile(stored, actions, cohorts):
        """Another decision books the first truck this one books, between its reading and its execution."""
        monkeypatch.setattr(nodes, "withheld", withheld)
        truck = next(a.params.truck for a in actions if a.type == "schedule_maintenance")
        with Session(desk.toolbox.engine) as session:
            now = store.clock(session)
            session.add(
                m.WorkOrder(
                    id="WO-OTHER", truck=truck, kind="preventive", opened_at=now, scheduled_for=now, status="scheduled"
                )
            )
            session.commit()
        booked.append(truck)
        return withheld(stored, actions, cohorts)

    monkeypatch.setattr(nodes, "withheld", booked_meanwhile)
    answer = desk.submit(ExceptionIn.model_validate(exception))
    assert (answer.status == "pending_approval") is approved, answer.status
    if approved:
        answer = desk.resume(answer.decision_id, Verdict(verdict="approve", actor="manager-1"))
    [truck] = booked
    with desk.toolbox.session() as session:
        orders = session.exec(select(m.WorkOrder).where(m.WorkOrder.truck == truck, m.WorkOrder.status != "closed"))
        assert [order.id for order in orders] == ["WO-OTHER"]
        [why] = session.exec(select(m.AuditEvent).where(m.AuditEvent.kind == "decision.superseded")).all()
        first = Decision.of(store.row(session, m.DecisionRecord, why.decision_id))
        fresh = Decision.of(store.row(session, m.DecisionRecord, first.superseded_by))
    assert f"truck {truck}: work order WO-OTHER is scheduled already" in " ".join(why.detail["changes"])
    assert first.status == "superseded" and answer.decision_id in (first.decision_id, fresh.decision_id)
    assert fresh.status != "superseded" and fresh.exception_id != first.exception_id
    assert all(a.params.truck != truck for a in fresh.actions if a.type == "schedule_maintenance")
