"""The twin's day step: deterministic for a seed, consistent bookkeeping, and executed actions change what happens."""

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from simulation.twins import DATABASE, SeededTwins
from twin import actions as a
from twin import models as m
from twin import store
from twin.days import FAILURE_HOURS, SERVICE_HOURS, TwinDays
from twin.db import make_engine


def fresh(seeded_twins: SeededTwins, tmp_path: Path, name: str) -> tuple[TwinDays, Engine]:
    """A private copy of the seed-7 twin, and its own stepper."""
    folder = tmp_path / name
    folder.mkdir()
    stepper = seeded_twins.copy_into(7, folder)
    return stepper, make_engine(f"sqlite:///{folder / DATABASE}")


@pytest.mark.slow  # days or a whole twin generated: a scenario test, not the quick loop
def test_days_are_deterministic_for_a_seed_and_keep_the_books(seeded_twins, tmp_path):
    runs = []
    for name in ("a", "b"):
        stepper, engine = fresh(seeded_twins, tmp_path, name)
        with Session(engine) as session:
            start = store.as_of(session)
            moving = {
                s.id
                for s in session.exec(select(m.Shipment).where(m.Shipment.status.in_(("in_transit", "planned")))).all()
            }
            reports = [stepper.step(session) for _ in range(3)]
            assert store.as_of(session) == start + timedelta(days=3)
            delivered = {
                s.id
                for s in session.exec(
                    select(m.Shipment).where(m.Shipment.status == "delivered", m.Shipment.delivered_at > start)
                ).all()
            }
            counted = {s for r in reports for s in r.delivered_on_time + r.delivered_late}
            assert counted == delivered  # every delivery counted once, on the day it happened
            assert delivered <= moving | {s for r in reports for s in r.shipped}
            late = {
                s.id
                for s in session.exec(select(m.Shipment).where(m.Shipment.id.in_(counted))).all()
                if s.delivered_at > s.promised_at
            }
            assert late == {s for r in reports for s in r.delivered_late}
            assert all(p.on_hand >= 0 and p.in_transit >= 0 for p in session.exec(select(m.InventoryPosition)).all())
            unmet = session.exec(
                select(m.DemandHistory.unmet).where(
                    m.DemandHistory.sku == "SKU-0042", m.DemandHistory.location == "DC-DAL"
                )
            ).all()
            assert sum(r.unmet_units.get("SKU-0042@DC-DAL", 0) for r in reports) == sum(unmet) > 0
        engine.dispose()
        runs.append([r.model_dump() for r in reports])
    assert runs[0] == runs[1]


@pytest.mark.slow  # days or a whole twin generated: a scenario test, not the quick loop
def test_an_executed_expedite_brings_the_delivery_forward_and_a_booking_services_the_truck(seeded_twins, tmp_path):
    arrivals = {}
    for name, act in (("control", False), ("acted", True)):
        stepper, engine = fresh(seeded_twins, tmp_path, name)
        with Session(engine) as session:
            shipment = session.exec(
                select(m.Shipment)
                .where(m.Shipment.status == "in_transit", m.Shipment.carrier.is_not(None))
                .order_by(m.Shipment.shipped_at.desc())
            ).first()
            if act:
                session.add(
                    m.ExceptionRecord(id="EXC-1", occurred_at=shipment.shipped_at, created_at=shipment.shipped_at)
                )
                session.flush()
                session.add(
                    m.DecisionRecord(
                        id="DEC-1",
                        exception_id="EXC-1",
                        specialist="routing",
                        status="executed",
                        confidence=1.0,
                        thread_id="EXC-1",
                        created_at=shipment.shipped_at,
                        updated_at=shipment.shipped_at,
                    )
                )
                session.flush()
                session.add(
                    m.ActionRecord(
                        id="DEC-1-A1",
                        decision_id="DEC-1",
                        type="expedite_shipment",
                        params={"shipment_id": shipment.id, "hours_saved": 6.0},
                        status="executed",
                    )
                )
                session.add(
                    m.WorkOrder(
                        id="WO-DEC-1",
                        truck="TRK-007",
                        kind="preventive",
                        opened_at=shipment.shipped_at,
                        scheduled_for=shipment.shipped_at + timedelta(days=1),
                        status="scheduled",
                        decision_id="DEC-1",
                    )
                )
                session.commit()
            reports = [stepper.step(session) for _ in range(6)]
            arrivals[name] = session.get(m.Shipment, shipment.id).delivered_at
            failed = [truck for r in reports for truck in r.failures]
            serviced = [truck for r in reports for truck in r.serviced]
            if act:
                assert serviced == ["TRK-007"] and "TRK-007" not in failed
                assert reports[1].serviced == ["TRK-007"]  # booked for the day after the booking
                planned = reports[1].downtime_hours - reports[1].unplanned_downtime_hours
                assert planned >= SERVICE_HOURS  # a booked service is downtime, but not unplanned downtime
                assert session.get(m.WorkOrder, "WO-DEC-1").status == "closed"
            else:
                assert "TRK-007" in failed  # the drifting truck breaks down without a booking
                assert sum(r.unplanned_downtime_hours for r in reports) >= FAILURE_HOURS * len(failed)
        engine.dispose()
    assert arrivals["control"] is not None
    saved = (arrivals["control"] - arrivals["acted"]).total_seconds() / 3600
    assert 0 < saved <= 6.0


@pytest.mark.slow  # days or a whole twin generated: a scenario test, not the quick loop
def test_orders_land_on_their_arrival_day_replenishment_orders_at_the_reorder_point_and_each_close_is_kept(
    seeded_twins, tmp_path
):
    stepper, engine = fresh(seeded_twins, tmp_path, "supply")
    with Session(engine) as session:
        today = store.as_of(session)
        [position] = [p for p in store.positions(session, "SKU-0007") if p.location == "DC-ATL"]
        position.on_hand, position.in_transit, position.allocated = 10_000, 40, 0  # far above its reorder point
        session.add(position)
        session.add(
            m.PurchaseOrder(
                id="PO-TEST",
                sku="SKU-0007",
                location="DC-ATL",
                qty=40,
                service="regular",
                cost_usd=14.0,
                created_at=today,
                arrives_on=today.date() + timedelta(days=1),  # lands in the second day's step
            )
        )
        [short] = [p for p in store.positions(session, "SKU-0009") if p.location == "DC-HOU"]
        short.on_hand, short.in_transit, short.allocated = 0, 0, 0
        session.add(short)
        session.commit()
        first = stepper.step(session)
        assert session.get(m.PurchaseOrder, "PO-TEST").status == "open"  # not due yet: nothing lands
        assert session.get(m.InventoryPosition, position.id).in_transit == 40
        stepper.step(session)
        assert session.get(m.PurchaseOrder, "PO-TEST").status == "received"
        assert session.get(m.InventoryPosition, position.id).in_transit == 0
        ordered = first.replenished["SKU-0009@DC-HOU"]
        refill = session.exec(select(m.PurchaseOrder).where(m.PurchaseOrder.id.like("PO-REPL-%SKU-0009@DC-HOU"))).one()
        term = store.supply_term(session, "SKU-0009")
        assert refill.qty == ordered > short.reorder_point and refill.service == "regular"
        assert refill.arrives_on == today.date() + timedelta(days=term.regular_lead_days)
        assert refill.cost_usd == round(ordered * 0.35, 2) and first.replenishment_usd >= refill.cost_usd
        assert "SKU-0007@DC-ATL" not in first.replenished  # well stocked: no order
        closes = session.exec(
            select(m.StockDay)
            .where(m.StockDay.sku == "SKU-0009", m.StockDay.location == "DC-HOU")
            .order_by(m.StockDay.day)
        ).all()  # the seed's close of the day before its clock, then one close per day stepped
        assert [c.day for c in closes] == [today.date() + timedelta(days=n) for n in (-1, 0, 1)]
        assert (closes[1].on_hand, closes[1].on_order, closes[1].safety_stock) == (0, ordered, short.safety_stock)
        assert store.count(session, m.StockDay, m.StockDay.day == today.date()) == 300
    engine.dispose()


@pytest.mark.slow  # days or a whole twin generated: a scenario test, not the quick loop
def test_an_executed_tender_plan_gives_the_days_new_shipments_to_its_carriers(seeded_twins, tmp_path):
    shipped = {}
    for name, act in (("control", False), ("acted", True)):
        stepper, engine = fresh(seeded_twins, tmp_path, name)
        with Session(engine) as session:
            first = {}
            for offer in store.carrier_lanes(session):
                first[offer.lane] = min(first.get(offer.lane, offer.carrier), offer.carrier)
            if act:
                allocations = [
                    a.TenderAllocation(lane=lane, tier=tier, carrier=carrier, loads=50.0)
                    for lane, carrier in first.items()
                    for tier in ("gold", "silver", "standard")
                ]
                day = store.as_of(session).date()
                _executed(session, a.PlanTenders(params=a.PlanTendersParams(day=day, allocations=allocations)))
            report = stepper.step(session)
            rows = [session.get(m.Shipment, code) for code in report.shipped]
            covered = set(report.tenders_covered)
            shipped[name] = {s.id: (s.lane, s.carrier) for s in rows if s.carrier and s.id not in covered}
        engine.dispose()
    assert shipped["control"].keys() == shipped["acted"].keys() and shipped["acted"]
    assert all(carrier == first[lane] for lane, carrier in shipped["acted"].values())
    assert shipped["control"] != shipped["acted"]  # the usual draw spreads loads over each lane's carriers


def _executed(session: Session, action: a.AnyAction) -> None:
    """Store an action as executed by a decision, as the desk's execute step leaves it."""
    moment = store.as_of(session)
    session.add(m.ExceptionRecord(id="EXC-PLAN", occurred_at=moment, created_at=moment))
    session.flush()
    session.add(
        m.DecisionRecord(
            id="DEC-PLAN",
            exception_id="EXC-PLAN",
            specialist="routing",
            status="executed",
            confidence=1.0,
            thread_id="EXC-PLAN",
            created_at=moment,
            updated_at=moment,
        )
    )
    session.flush()
    session.add(
        m.ActionRecord(
            id="DEC-PLAN-A1",
            decision_id="DEC-PLAN",
            type=action.type,
            params=action.params.as_dict(),
            status="executed",
            executed_at=moment,
        )
    )
    session.commit()
