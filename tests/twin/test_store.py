"""Shared twin queries against a plain row-by-row count over the seeded twin."""

from collections import Counter

from sqlmodel import Session, select

from twin import models as m
from twin import store


def test_lane_tier_on_time_matches_the_delivered_carrier_shipments_row_by_row(engine):
    with Session(engine) as session:
        counts = store.lane_tier_on_time(session)
        tiers = {location.code: location.tier for location in session.exec(select(m.Location)).all()}
        delivered, on_time = Counter(), Counter()
        for shipment in session.exec(select(m.Shipment)).all():
            if shipment.carrier is None or shipment.delivered_at is None:
                continue
            key = (shipment.lane, tiers[shipment.destination])
            delivered[key] += 1
            on_time[key] += shipment.delivered_at <= shipment.promised_at
    assert counts == {key: (delivered[key], on_time[key]) for key in delivered}
    assert {tier for _lane, tier in counts} == {"gold", "silver", "standard"}


def test_a_position_is_found_by_sku_and_location_and_none_when_the_twin_lacks_it(engine):
    with Session(engine) as session:
        rows = session.exec(select(m.InventoryPosition)).all()
        assert all(store.position(session, row.sku, row.location) == row for row in rows)
        assert store.position(session, rows[0].sku, "DC-NOWHERE") is None
