"""Pricing a person's actions with the cost model: the same price the specialists give the same action."""

import pytest
from sqlmodel import Session

from agents.pricing import price, priced
from agents.twin_facts import rates
from tools import costs
from twin import actions as a
from twin import models as m
from twin import store


def test_an_unpriced_action_costs_what_the_cost_model_says_and_a_stated_price_is_kept(engine):
    with Session(engine) as session:
        in_force = rates(session)
        shipment = session.get(m.Shipment, "SHP-009284")
        expedite = a.ExpediteShipment(params=a.ExpediteShipmentParams(shipment_id=shipment.id, hours_saved=4))
        assert price(session, in_force, expedite) == round(150.0 + 0.75 * shipment.distance_miles, 2)
        sku = session.get(m.Sku, "SKU-0042")
        order = a.PlacePurchaseOrder(params=a.PurchaseOrderParams(sku=sku.code, location="DC-DAL", qty=100))
        assert price(session, in_force, order) >= 100 * 0.35  # handling at least, plus holding
        rush = a.ExpeditePurchase(params=a.ExpeditePurchaseParams(sku=sku.code, location="DC-DAL", qty=100))
        premium = 100 * sku.unit_cost * 0.3
        assert price(session, in_force, rush) - price(session, in_force, order) == pytest.approx(premium, abs=0.011)
        visit = a.ScheduleMaintenance(
            params=a.ScheduleMaintenanceParams(truck="TRK-007", service="inspection", service_hours=2.0)
        )
        assert price(session, in_force, visit) == costs.workshop_visit(in_force, "inspection", 2.0)
        told = a.NotifyCustomer(params=a.NotifyCustomerParams(shipment_id=shipment.id, cost_usd=12.5))
        [kept, filled] = priced(session, in_force, [told, expedite])
        assert kept.params.cost_usd == 12.5 and filled.params.cost_usd == price(session, in_force, expedite)
        assert store.supply_term(session, sku.code).regular_lead_days == 3


def test_a_higher_reorder_point_costs_the_holding_of_the_units_it_keeps_over_an_order_cycle(engine):
    with Session(engine) as session:
        in_force = rates(session)
        sku = session.get(m.Sku, "SKU-0042")
        [position] = [p for p in store.positions(session, sku.code) if p.location == "DC-DAL"]
        higher = a.SetReorderPoint(
            params=a.ReorderPointParams(sku=sku.code, location="DC-DAL", reorder_point=position.reorder_point + 70)
        )
        lower = a.SetReorderPoint(params=a.ReorderPointParams(sku=sku.code, location="DC-DAL", reorder_point=0))
        expected = 70 * sku.unit_cost * in_force["holding_share_per_year"] * 7 / 365
        assert price(session, in_force, higher) == pytest.approx(expected, abs=0.006)
        assert price(session, in_force, lower) == 0.0
