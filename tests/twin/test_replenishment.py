"""The company's normal replenishment: the (s, S) rule, the recent demand it averages and the inbound schedule that
plans read."""

from datetime import timedelta

from sqlalchemy import Engine
from sqlmodel import Session, col, func, select

from twin import models as m
from twin import store
from twin.replenishment import (
    RECENT_DEMAND_DAYS,
    inbound_schedule,
    order_quantity,
    recent_daily_demand,
    review_order,
)


def test_a_position_above_its_reorder_point_orders_nothing():
    assert order_quantity(reorder_point=100, daily_demand=20, stock=101) == 0


def test_a_position_at_its_reorder_point_orders_up_to_it_plus_a_week_of_demand():
    assert order_quantity(reorder_point=100, daily_demand=20, stock=100) == 140
    assert order_quantity(reorder_point=100, daily_demand=20.5, stock=-10) == 254  # rounded up, shortfall included


def test_the_review_counts_stock_on_hand_less_allocated_plus_in_transit_and_the_day_s_changes():
    position = m.InventoryPosition(sku="SKU-0001", location="DC-DAL", on_hand=80, allocated=10, in_transit=20)
    position.reorder_point = 100
    assert review_order(position, daily_demand=20) == 150  # stock 90: up to 100 plus a week of 20
    assert review_order(position, daily_demand=20, change=-30) == 180  # the day's demand served first
    assert review_order(position, daily_demand=20, change=30) == 0  # an order placed today lifts it above 100


def test_recent_demand_is_the_mean_of_the_days_the_review_averages(engine: Engine):
    with Session(engine) as session:
        today = store.clock(session).date()
        recent = recent_daily_demand(session, today)
        sku, location = sorted(recent)[0]
        units = session.exec(
            select(col(m.DemandHistory.units)).where(
                m.DemandHistory.sku == sku,
                m.DemandHistory.location == location,
                col(m.DemandHistory.day) >= today - timedelta(days=RECENT_DEMAND_DAYS),
            )
        ).all()
    assert units and recent[sku, location] == sum(units) / len(units)
    with Session(engine) as session:
        assert recent_daily_demand(session, today, sku) == {
            key: value for key, value in recent.items() if key[0] == sku
        }


def test_the_inbound_schedule_lists_open_orders_by_days_until_they_land(engine: Engine):
    with Session(engine) as session:
        today = store.clock(session).date()
        sku = session.exec(select(m.Sku.code).order_by(col(m.Sku.code))).first()
        assert sku is not None
        location = session.exec(select(m.InventoryPosition.location).where(m.InventoryPosition.sku == sku)).first()
        assert location is not None
        landing = today + timedelta(days=3)
        session.add(
            m.PurchaseOrder(
                id="PO-T1",
                sku=sku,
                location=location,
                qty=40,
                service="regular",
                cost_usd=14.0,
                created_at=store.clock(session),
                arrives_on=landing,
            )
        )
        session.add(
            m.PurchaseOrder(
                id="PO-T2",
                sku=sku,
                location=location,
                qty=9,
                service="regular",
                cost_usd=3.15,
                created_at=store.clock(session),
                arrives_on=landing,
                status="received",
            )
        )
        session.flush()
        schedule = inbound_schedule(session, [sku], today)
        opened = session.exec(
            select(func.count()).where(col(m.PurchaseOrder.sku) == sku, m.PurchaseOrder.status == "open")
        ).one()
    assert (3, 40) in schedule[sku, location]
    assert (3, 9) not in schedule[sku, location]  # received orders are stock, no longer inbound
    assert sum(len(v) for (s, _), v in schedule.items() if s == sku) >= opened
    assert all(days >= 0 for v in schedule.values() for days, _ in v)
