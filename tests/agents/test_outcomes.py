"""Outcomes of executed decisions, checked against facts planted on the twin, for every exception type."""

from datetime import timedelta

from sqlmodel import select

from agents.outcomes import record_outcomes
from agents.schemas import SPECIALIST_FOR, Decision, ExceptionType, Refs
from graph.records import save_decision
from tools.knowledge import Precedent
from twin import models as m
from twin.actions import Action, parse_action


def plant(desk, n: int, kind: ExceptionType, refs: Refs, actions: list[Action]) -> str:
    """An executed decision on an exception, stored as the desk stores it, with its precedent."""
    tb = desk.toolbox
    exception_id, decision_id = f"EXC-OUT{n}", f"DEC-OUT{n}"
    now = tb.now()
    decision = Decision(
        decision_id=decision_id,
        exception_id=exception_id,
        specialist=SPECIALIST_FOR[kind],
        status="executed",
        actions=actions,
        trace_id=exception_id,
    )
    with tb.session() as session:
        session.add(
            m.ExceptionRecord(id=exception_id, type=kind.value, refs=refs.present(), occurred_at=now, created_at=now)
        )
        session.flush()
        save_decision(session, decision, exception_id)
        session.commit()
    tb.knowledge.add_precedent(
        Precedent(
            decision_id=decision_id,
            exception_type=kind.value,
            specialist=decision.specialist,
            action_types=[a.type for a in actions],
            status="executed",
            summary=f"test decision {n}",
        )
    )
    return decision_id


def stored(desk, decision_id: str) -> Decision:
    """The decision as stored."""
    with desk.toolbox.session() as session:
        return Decision.of(session.get(m.DecisionRecord, decision_id))


def advance(desk, days: int) -> None:
    """Move the twin's clock."""
    with desk.toolbox.session() as session:
        meta = session.get(m.TwinMeta, "as_of")
        meta.value = (desk.toolbox.now() + timedelta(days=days)).isoformat()
        session.add(meta)
        session.commit()


def test_an_outcome_is_recorded_for_each_exception_type(desk):
    tb = desk.toolbox
    now = tb.now()
    with tb.session() as session:
        on_time, late = session.exec(
            select(m.Shipment)
            .where(m.Shipment.status == "in_transit", m.Shipment.promised_at > now + timedelta(days=1))
            .order_by(m.Shipment.id)
            .limit(2)
        ).all()
        template = session.exec(select(m.Shipment).where(m.Shipment.carrier == "CAR-REDRIVER")).first()
    decisions = {
        "on_time": plant(
            desk,
            1,
            ExceptionType.late_shipment,
            Refs(shipment_id=on_time.id),
            [parse_action("expedite_shipment", {"shipment_id": on_time.id, "hours_saved": 4})],
        ),
        "late": plant(
            desk,
            2,
            ExceptionType.late_shipment,
            Refs(shipment_id=late.id),
            [parse_action("notify_customer", {"shipment_id": late.id})],
        ),
        "stockout": plant(
            desk,
            3,
            ExceptionType.stockout_risk,
            Refs(sku="SKU-0042", location="DC-DAL"),
            [parse_action("transfer_stock", {"sku": "SKU-0042", "from": "DC-HOU", "to": "DC-DAL", "qty": 64})],
        ),
        "spike": plant(
            desk,
            4,
            ExceptionType.demand_spike,
            Refs(sku="SKU-0001", location="DC-HOU"),
            [
                parse_action(
                    "raise_safety_stock",
                    {"sku": "SKU-0001", "location": "DC-HOU", "safety_stock": 10, "reorder_point": 30},
                )
            ],
        ),
        "serviced": plant(
            desk,
            5,
            ExceptionType.equipment_failure_risk,
            Refs(asset_id="TRK-007"),
            [parse_action("schedule_maintenance", {"truck": "TRK-007", "day": 1})],
        ),
        "failed": plant(
            desk,
            6,
            ExceptionType.equipment_failure_risk,
            Refs(asset_id="TRK-012"),
            [parse_action("schedule_maintenance", {"truck": "TRK-012", "day": 3})],
        ),
        "refused": plant(
            desk,
            7,
            ExceptionType.carrier_capacity,
            Refs(carrier="CAR-REDRIVER"),
            [parse_action("retender_loads", {"from_carrier": "CAR-REDRIVER", "assignments": []})],
        ),
        "covered": plant(
            desk,
            8,
            ExceptionType.carrier_capacity,
            Refs(carrier="CAR-METRO"),
            [parse_action("book_spot", {"from_carrier": "CAR-METRO", "loads": 3})],
        ),
    }
    first = {d.decision_id: d.outcome for d in record_outcomes(tb)}
    assert set(first) == set(decisions.values())
    assert all(outcome.since == now and outcome.evidence.source.tool == "outcomes" for outcome in first.values())
    assert first[decisions["stockout"]].status == "pending"
    assert first[decisions["refused"]].status == "pending"

    with tb.session() as session:  # what happened on the twin over the next days
        for shipment, hours in ((on_time, -1), (late, 5)):
            row = session.get(m.Shipment, shipment.id)
            row.status, row.delivered_at = "delivered", row.promised_at + timedelta(hours=hours)
            session.add(row)
        session.add(
            m.DemandHistory(
                sku="SKU-0042", location="DC-DAL", day=now.date() + timedelta(days=2), units=40, price=10.0, unmet=12
            )
        )
        session.add(
            m.WorkOrder(
                id="WO-OUT5",
                truck="TRK-007",
                kind="preventive",
                opened_at=now,
                status="closed",
                closed_at=now + timedelta(days=1),
                decision_id=decisions["serviced"],
            )
        )
        session.add(
            m.WorkOrder(
                id="WO-OUT6",
                truck="TRK-012",
                kind="preventive",
                opened_at=now,
                status="scheduled",
                scheduled_for=now + timedelta(days=3),
                decision_id=decisions["failed"],
            )
        )
        session.add(
            m.WorkOrder(
                id="WO-FAIL6",
                truck="TRK-012",
                kind="corrective",
                component="cooling",
                opened_at=now + timedelta(days=1),
                status="closed",
            )
        )
        session.add(
            m.Shipment(
                **{
                    **template.model_dump(),
                    "id": "SHP-OUT7",
                    "order_id": None,
                    "status": "in_transit",
                    "delivered_at": None,
                    "shipped_at": now + timedelta(hours=30),
                }
            )
        )
        session.flush()
        session.add(
            m.ScanEvent(
                event_id="SHP-OUT7-tender_refused",
                shipment_id="SHP-OUT7",
                kind="tender_refused",
                location=template.origin,
                at=now + timedelta(hours=30),
            )
        )
        session.commit()
    advance(desk, 8)
    record_outcomes(tb)

    outcomes = {name: stored(desk, decision_id).outcome for name, decision_id in decisions.items()}
    assert {name: outcome.status for name, outcome in outcomes.items()} == {
        "on_time": "achieved",
        "late": "not_achieved",
        "stockout": "not_achieved",
        "spike": "achieved",
        "serviced": "achieved",
        "failed": "not_achieved",
        "refused": "not_achieved",
        "covered": "achieved",
    }
    assert outcomes["late"].evidence.facts["hours_late"] == 5.0
    assert outcomes["stockout"].evidence.facts["stockout_days"] == [
        {"day": (now.date() + timedelta(days=2)).isoformat(), "unmet_units": 12}
    ]
    assert outcomes["stockout"].since == now  # the watch keeps its start across checks
    assert [f["id"] for f in outcomes["failed"].evidence.facts["failures"]] == ["WO-FAIL6"]
    assert outcomes["refused"].evidence.facts["refused_loads"] == 1
    with tb.session() as session:
        audited = session.exec(select(m.AuditEvent).where(m.AuditEvent.kind == "decision.outcome")).all()
    assert len(audited) == 8 + 8  # the first check of each, then each settled outcome
    precedent = tb.knowledge.precedents.get(ids=[decisions["late"]])["metadatas"][0]
    assert precedent["outcome"] == "not_achieved"
    assert record_outcomes(tb) == []  # settled outcomes are not checked again


def test_a_weekly_maintenance_plan_is_judged_when_its_week_ends(desk):
    tb = desk.toolbox
    now = tb.now()
    day = Refs(day=now.date().isoformat())
    kept = plant(
        desk,
        9,
        ExceptionType.maintenance_plan,
        day,
        [parse_action("schedule_maintenance", {"truck": "TRK-007", "day": 1})],
    )
    broken = plant(
        desk,
        10,
        ExceptionType.maintenance_plan,
        day,
        [parse_action("schedule_maintenance", {"truck": "TRK-012", "day": 3})],
    )
    with tb.session() as session:
        session.add(
            m.WorkOrder(
                id="WO-OUT9",
                truck="TRK-007",
                kind="preventive",
                opened_at=now,
                status="closed",
                closed_at=now + timedelta(days=1),
                decision_id=kept,
            )
        )
        session.add(
            m.WorkOrder(
                id="WO-OUT10",
                truck="TRK-012",
                kind="preventive",
                opened_at=now,
                status="scheduled",
                scheduled_for=now + timedelta(days=3),
                decision_id=broken,
            )
        )
        session.commit()
    advance(desk, 2)
    record_outcomes(tb)
    assert stored(desk, kept).outcome.status == "pending"  # visited, but the week is not over

    with tb.session() as session:
        session.add(
            m.WorkOrder(
                id="WO-FAIL10",
                truck="TRK-012",
                kind="corrective",
                component="brakes",
                opened_at=now + timedelta(days=2),
                status="open",
            )
        )
        session.commit()
    advance(desk, 6)
    record_outcomes(tb)
    assert stored(desk, kept).outcome.status == "achieved"
    failed = stored(desk, broken).outcome
    assert failed.status == "not_achieved"
    assert [f["id"] for f in failed.evidence.facts["failed_before_visit"]] == ["WO-FAIL10"]
