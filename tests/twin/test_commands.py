"""Executed actions change the twin, on SQLite and PostgreSQL: the next decision sees them."""

from datetime import date, timedelta

import pytest
from sqlmodel import Session, select

from twin import models as m
from twin import rates, store
from twin.actions import parse_action
from twin.commands import apply
from twin.db import make_engine
from twin.seed import AS_OF


def _run(session: Session, action_type: str, **params) -> dict:
    """Execute one action on the twin at its clock."""
    return apply(session, parse_action(action_type, params), "DEC-TEST", AS_OF)


def test_executed_actions_change_the_twin(seeded_url):
    engine = make_engine(seeded_url)
    with Session(engine, expire_on_commit=False) as session:
        shipment = session.exec(
            select(m.Shipment).where(m.Shipment.status == "in_transit", m.Shipment.carrier.is_not(None))
        ).first()
        _run(session, "expedite_shipment", shipment_id=shipment.id, hours_saved=4.5)
        _run(session, "notify_customer", shipment_id=shipment.id)
        before = store.remaining_capacity(session, AS_OF)
        _run(session, "switch_carrier", shipment_id=shipment.id, to_carrier="CAR-METRO")
        _run(
            session,
            "retender_loads",
            from_carrier="CAR-REDRIVER",
            assignments=[{"load_id": "DAL-HOU#1", "lane": "DAL-HOU", "carrier": "CAR-BLUEGRID"}],
        )
        position = store.positions(session, "SKU-0042")[0]
        in_transit = position.in_transit
        origin = next(p for p in store.positions(session, "SKU-0042") if p.location != position.location)
        _run(
            session,
            "transfer_stock",
            sku="SKU-0042",
            to=position.location,
            qty=3,
            lead_days=2,
            **{"from": origin.location},
        )
        route = session.exec(select(m.Route).where(m.Route.day == AS_OF.date())).first()
        _run(session, "schedule_maintenance", truck=route.truck, dc=route.dc, day=0)
        session.commit()

    with Session(engine, expire_on_commit=False) as session:
        moved = session.get(m.Shipment, shipment.id)
        assert (moved.service, moved.expedited_hours, moved.carrier) == ("expedited", 4.5, "CAR-METRO")
        told = store.last_notification(session, shipment.id)
        assert told.at == AS_OF and told.customer == moved.destination
        after = store.remaining_capacity(session, AS_OF)
        assert after["CAR-METRO"] == pytest.approx(before["CAR-METRO"] - 1, abs=0.11)
        assert after["CAR-BLUEGRID"] == pytest.approx(before["CAR-BLUEGRID"] - 1, abs=0.11)
        [order] = session.exec(select(m.TransferOrder).where(m.TransferOrder.decision_id == "DEC-TEST")).all()
        assert order.arrives_on == AS_OF.date() + timedelta(days=2) and order.qty == 3
        arriving = next(p for p in store.positions(session, "SKU-0042") if p.location == position.location)
        assert arriving.in_transit == in_transit + 3
        assert route.truck in {o.truck for o in store.workshop_bookings(session, route.dc, AS_OF.date())}
        assert route.truck not in {r.truck for r, _ in store.routes_on(session, AS_OF.date(), route.dc)}
        assert session.get(m.Vehicle, route.truck).status == "in_maintenance"
    engine.dispose()


def test_rates_are_seeded_editable_and_versioned(seeded_url):
    engine = make_engine(seeded_url)
    with Session(engine, expire_on_commit=False) as session:
        seeded = {rate.key: rate for rate in rates.in_force(session)}
        assert set(seeded) == {rate.key for rate in rates.DEFAULT_RATES}
        assert {rate.version for rate in seeded.values()} == {1}
        rates.set_rate(session, "late_penalty_usd_gold", 1800.0, "new service contract", "planner")
        session.commit()
        current = {rate.key: rate for rate in rates.in_force(session)}
        assert (current["late_penalty_usd_gold"].value, current["late_penalty_usd_gold"].version) == (1800.0, 2)
        assert len(session.exec(select(m.CostRate).where(m.CostRate.key == "late_penalty_usd_gold")).all()) == 2
        for key, value in (("no_such_rate", 1.0), ("notify_usd", -5.0)):
            try:
                rates.set_rate(session, key, value, "test", "planner")
            except (KeyError, ValueError):
                continue
            raise AssertionError(f"{key}={value} was accepted")
    engine.dispose()


def test_week_start_is_monday():
    assert store.week_start(AS_OF) == date(2026, 11, 2) and AS_OF.weekday() == 0
