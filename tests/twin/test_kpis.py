"""Each KPI on a small hand-built twin whose value is worked out by hand in the test (the week of Monday 2 November
2026, the twin's clock at 10 November 08:00)."""

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import Session

from tests.records import decided
from twin import kpis
from twin import models as m
from twin.db import make_engine, session_scope
from twin.rates import KM_PER_MILE
from twin.settings import PROJECT_ROOT

WEEK = kpis.Scope(start=date(2026, 11, 2), end=date(2026, 11, 8))
OWN_PER_MILE = 1.18 * KM_PER_MILE  # the default own-fleet rate, 1.18 USD per km


def at(day: int, hour: int = 0) -> datetime:
    """A moment of November 2026."""
    return datetime(2026, 11, day, hour, tzinfo=UTC)


def nov(day: int) -> date:
    """A day of November 2026."""
    return date(2026, 11, day)


@pytest.fixture
def twin(empty_url: str) -> Iterator[Session]:
    """A twin of two DCs, one customer, one SKU at 10 USD, two carriers, a lane and two trucks."""
    engine = make_engine(empty_url)
    with session_scope(engine) as session:
        session.add(m.TwinMeta(key="as_of", value=at(10, 8).isoformat()))
        for code, kind in (("DC-A", "dc"), ("DC-B", "dc"), ("CUS-1", "customer")):
            session.add(m.Location(code=code, kind=kind, name=code, region="DAL", lat=0.0, lon=0.0))
        session.add(m.Sku(code="SKU-1", name="one", category="c", unit_cost=10.0, unit_price=15.0, weight_kg=1.0))
        for code in ("CAR-1", "CAR-2"):
            session.add(m.Carrier(code=code, name=code, cost_per_mile=2.0, capacity_per_week=10, co2_kg_per_mile=1.0))
        session.flush()
        session.add_all(
            [m.Lane(code=code, origin="DC-A", dest_region="X", distance_miles=100.0) for code in ("A-X", "A-A")]
        )
        session.flush()
        session.add(
            m.CarrierLane(
                carrier="CAR-1", lane="A-X", rate_per_mile=2.0, transit_days=1, capacity_per_week=10, on_time_rate=0.9
            )
        )
        for code, home in (("TRK-1", "DC-A"), ("TRK-2", "DC-B")):
            session.add(
                m.Vehicle(
                    code=code,
                    home_dc=home,
                    capacity_units=100,
                    model_year=2020,
                    odometer_miles=0.0,
                    last_service_at=at(1),
                )
            )
        session.commit()
        yield session
    engine.dispose()


def shipment(code: str, shipped: datetime, **fields) -> m.Shipment:
    """A shipment from DC-A to the customer, by CAR-1 on A-X unless told otherwise."""
    values = {"lane": "A-X", "carrier": "CAR-1", "distance_miles": 100.0, "promised_at": shipped, **fields}
    return m.Shipment(id=code, origin="DC-A", destination="CUS-1", units=1, weight_kg=1.0, shipped_at=shipped, **values)


def demand(dc: str, day: date, units: int, unmet: int = 0) -> m.DemandHistory:
    """A day of SKU-1's demand at a DC."""
    return m.DemandHistory(sku="SKU-1", location=dc, day=day, units=units, unmet=unmet, price=15.0)


def close(dc: str, day: date, on_hand: int) -> m.StockDay:
    """SKU-1's close of a day at a DC."""
    return m.StockDay(sku="SKU-1", location=dc, day=day, on_hand=on_hand, on_order=0, safety_stock=0)


def executed(session: Session, code: str, kind: str, params: dict, day: datetime) -> None:
    """An executed action of its own decision, on the twin's clock of `day`."""
    decision_id = decided(session, code, day, twin_at=day)
    session.add(
        m.ActionRecord(
            id=f"ACT-{code}",
            decision_id=decision_id,
            type=kind,
            params=params,
            status="executed",
            executed_at=at(30),
            twin_at=day,
        )
    )


def week(session: Session, **filters) -> kpis.KpiSet:
    """The KPIs of the week, filtered."""
    session.commit()
    return kpis.report(session, WEEK.model_copy(update=filters), "week").total


def test_on_time_delivery_counts_deliveries_by_their_promised_window(twin: Session):
    twin.add_all(
        [
            shipment("S1", at(2), delivered_at=at(3, 10), promised_at=at(3, 12)),  # on time
            shipment("S2", at(3), delivered_at=at(4, 15), promised_at=at(4, 12)),  # late
            shipment(
                "S3", at(4), carrier="CAR-2", delivered_at=at(5, 9), promised_at=at(5, 9)
            ),  # on time, to the minute
            shipment("S4", at(8), delivered_at=at(9, 9), promised_at=at(9, 12)),  # delivered after the week
            shipment("S5", at(8), promised_at=at(9, 12)),  # still on the road
        ]
    )
    assert week(twin).on_time_delivery == kpis.OnTimeDelivery(delivered=3, on_time=2, rate=0.6667)
    assert week(twin, carrier="CAR-1").on_time_delivery == kpis.OnTimeDelivery(delivered=2, on_time=1, rate=0.5)
    assert week(twin, site="DC-B").on_time_delivery == kpis.OnTimeDelivery(delivered=0, on_time=0, rate=None)


def test_fill_rate_is_units_served_over_units_demanded(twin: Session):
    twin.add_all(
        [
            demand("DC-A", nov(2), 10),
            demand("DC-A", nov(3), 10, unmet=4),
            demand("DC-B", nov(3), 20),
            demand("DC-A", nov(1), 10, unmet=10),  # before the week
        ]
    )
    assert week(twin).fill_rate == kpis.FillRate(demanded_units=40, served_units=36, rate=0.9)
    assert week(twin, site="DC-A").fill_rate == kpis.FillRate(demanded_units=20, served_units=16, rate=0.8)
    assert week(twin, lane="A-X").fill_rate is None  # stock is not kept by lane


def test_stockout_rate_is_the_share_of_sku_dc_days_closing_empty(twin: Session):
    twin.add_all(
        [close("DC-A", nov(2), 5), close("DC-A", nov(3), 0), close("DC-A", nov(4), 3), close("DC-B", nov(3), 0)]
    )
    assert week(twin).stockout_rate == kpis.StockoutRate(position_days=4, out_of_stock=2, rate=0.5)
    assert week(twin, site="DC-B").stockout_rate == kpis.StockoutRate(position_days=1, out_of_stock=1, rate=1.0)


def test_inventory_turns_annualise_cost_served_over_average_stock_held(twin: Session):
    twin.add_all(
        [
            close("DC-A", nov(2), 100),
            close("DC-A", nov(3), 50),
            demand("DC-A", nov(2), 20),
            demand("DC-A", nov(3), 30, unmet=10),
            demand("DC-A", nov(4), 99),  # a day without a recorded close does not count
        ]
    )
    # served 20 + 20 units at 10 USD = 400 USD; held (1000 + 500) / 2 = 750 USD; 400 / 750 * 365 / 2 days = 97.33
    assert week(twin).inventory_turns == kpis.InventoryTurns(
        days=2, cost_of_goods_usd=400.0, average_inventory_usd=750.0, annual_turns=97.33
    )


def test_bullwhip_ratio_per_sku_dc_and_rolled_up(twin: Session):
    twin.add_all([close("DC-A", nov(d), 10) for d in (2, 3, 4)] + [close("DC-B", nov(d), 10) for d in (2, 3)])
    twin.add_all([demand("DC-A", nov(2), 10), demand("DC-A", nov(3), 20), demand("DC-A", nov(4), 30)])
    twin.add_all([demand("DC-B", nov(2), 5), demand("DC-B", nov(3), 15)])
    twin.add(
        m.PurchaseOrder(
            id="PO-1",
            sku="SKU-1",
            location="DC-A",
            qty=60,
            service="regular",
            cost_usd=0.0,
            created_at=at(3, 8),
            arrives_on=nov(9),
        )
    )
    twin.add(
        m.TransferOrder(
            id="TO-1", sku="SKU-1", origin="DC-A", destination="DC-B", qty=10, cost_usd=0.0, created_at=at(2, 8)
        )
    )
    twin.commit()
    measured = kpis.report(twin, WEEK, "day")
    # DC-A: orders 0, 60, 0 (variance 800) over demand 10, 20, 30 (variance 200/3): 12
    # DC-B: orders 10, 0 (variance 25) over demand 5, 15 (variance 25): 1
    assert [(b.dc, b.order_variance, b.demand_variance, b.ratio) for b in measured.bullwhip_by_position] == [
        ("DC-A", 800.0, 66.6667, 12.0),
        ("DC-B", 25.0, 25.0, 1.0),
    ]
    # rolled up: (800 + 25) / (200/3 + 25) = 9
    assert measured.total.bullwhip_ratio == kpis.BullwhipRatio(
        positions=2, order_variance=825.0, demand_variance=91.6667, ratio=9.0
    )
    assert measured.buckets[0].kpis.bullwhip_ratio.positions == 0  # a single day has no variance


def test_unplanned_downtime_counts_breakdowns_and_their_hours(twin: Session):
    twin.add_all(
        [
            m.WorkOrder(id="WO-1", truck="TRK-1", kind="corrective", opened_at=at(3, 14), closed_at=at(4, 10)),  # 20 h
            m.WorkOrder(id="WO-2", truck="TRK-2", kind="corrective", opened_at=at(7, 12)),  # open: 68 h to the clock
            m.WorkOrder(id="WO-3", truck="TRK-1", kind="preventive", opened_at=at(5, 8), closed_at=at(5, 16)),
            m.WorkOrder(id="WO-4", truck="TRK-1", kind="corrective", opened_at=at(9, 8), closed_at=at(9, 10)),
        ]
    )
    assert week(twin).unplanned_downtime == kpis.UnplannedDowntime(incidents=2, hours=88.0)
    assert week(twin, site="DC-A").unplanned_downtime == kpis.UnplannedDowntime(incidents=1, hours=20.0)


def test_expedite_spend_sums_executed_expedites_on_the_twins_clock(twin: Session):
    twin.add(shipment("S1", at(2)))
    twin.flush()
    executed(twin, "1", "expedite_shipment", {"shipment_id": "S1", "cost_usd": 150.0}, at(3))
    executed(twin, "2", "expedite_purchase", {"sku": "SKU-1", "location": "DC-B", "qty": 5, "cost_usd": 200.0}, at(4))
    executed(twin, "3", "book_spot", {"from_carrier": "CAR-2", "loads": 1, "cost_usd": 300.0}, at(5))
    executed(twin, "4", "expedite_shipment", {"shipment_id": "S1", "cost_usd": 999.0}, at(9))  # after the week
    executed(twin, "5", "switch_carrier", {"shipment_id": "S1", "to_carrier": "CAR-2", "cost_usd": 50.0}, at(3))
    assert week(twin).expedite_spend == kpis.ExpediteSpend(actions=3, usd=650.0)
    assert week(twin, carrier="CAR-1").expedite_spend == kpis.ExpediteSpend(actions=1, usd=150.0)
    assert week(twin, site="DC-B").expedite_spend == kpis.ExpediteSpend(actions=1, usd=200.0)
    assert week(twin, lane="A-X").expedite_spend == kpis.ExpediteSpend(actions=1, usd=150.0)


def test_cost_to_serve_prices_freight_and_expedites_per_shipment_and_lane(twin: Session):
    twin.add(shipment("S1", at(2, 9)))  # CAR-1 on A-X, 100 miles at 2 USD: 200
    twin.add(shipment("S2", at(3, 9), lane="A-A", carrier=None, distance_miles=10.0))  # own truck: 10 miles
    twin.add(shipment("S3", at(9, 9)))  # after the week
    twin.flush()
    executed(twin, "1", "expedite_shipment", {"shipment_id": "S1", "cost_usd": 150.0}, at(3))
    own = 10 * OWN_PER_MILE  # 18.99
    measured = (twin.commit(), kpis.report(twin, WEEK, "week"))[1]
    assert measured.total.cost_to_serve == kpis.CostToServe(
        shipments=2, usd=round(350 + own, 2), per_shipment_usd=round((350 + own) / 2, 2)
    )
    assert [(lane.lane, lane.usd) for lane in measured.cost_to_serve_by_lane] == [("A-A", 18.99), ("A-X", 350.0)]


def test_forecast_accuracy_is_the_wmape_of_the_trailing_28_day_mean(twin: Session):
    twin.add_all([demand("DC-A", nov(2) - timedelta(days=back), 10) for back in range(1, 29)])
    twin.add_all([demand("DC-A", nov(2), 14), demand("DC-A", nov(3), 8)])
    twin.commit()
    measured = kpis.report(twin, WEEK.model_copy(update={"end": nov(3)}), "day")
    # 2 Nov: forecast 10, error 4; 3 Nov: forecast (27 * 10 + 14) / 28 = 10.142857, error 2.142857; actual 22
    assert measured.total.forecast_accuracy == kpis.ForecastAccuracy(
        actual_units=22, absolute_error_units=6.14, wmape=0.2792
    )
    assert measured.buckets[0].kpis.forecast_accuracy.wmape == 0.2857  # 4 / 14


def test_routing_cost_and_miles_per_stop_over_routes_run(twin: Session):
    twin.add_all([shipment(f"S{n}", at(3), lane="A-A", carrier=None) for n in range(6)])
    twin.add_all(
        [
            m.Route(id="R1", truck="TRK-1", dc="DC-A", day=nov(3), distance_miles=30.0),
            m.Route(id="R2", truck="TRK-2", dc="DC-B", day=nov(4), distance_miles=20.0),
            m.Route(id="R3", truck="TRK-2", dc="DC-B", day=nov(4), distance_miles=100.0, status="cancelled"),
        ]
    )
    twin.flush()
    stops = [("R1", 3), ("R2", 2), ("R3", 1)]
    n = 0
    for route, count in stops:
        for seq in range(count):
            twin.add(m.RouteStop(route_id=route, seq=seq, shipment_id=f"S{n}", customer="CUS-1", eta_min=0))
            n += 1
    # 50 miles over 5 stops; 50 miles at the own-fleet rate
    assert week(twin).routing == kpis.Routing(
        routes=2,
        stops=5,
        miles=50.0,
        usd=round(50 * OWN_PER_MILE, 2),
        miles_per_stop=10.0,
        usd_per_stop=round(10 * OWN_PER_MILE, 2),
    )
    assert week(twin, site="DC-B").routing.miles_per_stop == 10.0


def test_maintenance_adherence_is_the_share_of_services_closed_on_their_day(twin: Session):
    def service(code: str, day: int, closed: datetime | None) -> m.WorkOrder:
        return m.WorkOrder(
            id=code,
            truck="TRK-1",
            kind="preventive",
            opened_at=at(1),
            scheduled_for=at(day, 8),
            closed_at=closed,
            status="closed" if closed else "scheduled",
        )

    twin.add_all(
        [
            service("WO-1", 3, at(3, 18)),  # kept
            service("WO-2", 4, at(5, 10)),  # a day late
            service("WO-3", 5, None),  # never done
            service("WO-4", 12, None),  # not due yet
        ]
    )
    assert week(twin).maintenance_adherence == kpis.MaintenanceAdherence(due=3, kept=1, rate=0.3333)
    assert week(twin, site="DC-B").maintenance_adherence == kpis.MaintenanceAdherence(due=0, kept=0, rate=None)


def test_buckets_cover_the_period_by_day_or_monday_first_week_and_filters_are_checked(twin: Session):
    assert kpis.spans(nov(4), nov(17), "week") == [(nov(4), nov(8)), (nov(9), nov(15)), (nov(16), nov(17))]
    assert len(kpis.spans(nov(4), nov(17), "day")) == 14
    for field, value in (("site", "CUS-1"), ("lane", "Z-Z"), ("carrier", "NOPE"), ("end", nov(1))):
        with pytest.raises(kpis.BadFilter) as refused:
            kpis.report(twin, WEEK.model_copy(update={field: value}))
        assert refused.value.field == {"end": "to"}.get(field, field)
    assert kpis.scope_of(twin) == kpis.Scope(start=date(2026, 10, 13), end=nov(9))
    assert kpis.scope_of(twin, start=nov(12)) == kpis.Scope(start=nov(12), end=nov(12))


def test_the_readme_lists_every_kpi_with_its_definition():
    readme = (PROJECT_ROOT / "README.md").read_text()
    for definition in kpis.DEFINITIONS.values():
        assert f"| `{definition.key}` | {definition.name} | {definition.unit} |" in readme
        assert definition.text in readme
