"""Tests of the reference-network generator."""

import hashlib
import json
from datetime import timedelta

import numpy as np
import pandas as pd
import pytest
from sqlmodel import Session, select
from typer.testing import CliRunner

from cli.main import app
from twin import frames, store
from twin import models as m
from twin import seed as scenario
from twin.db import make_engine
from twin.rates import DEFAULT_RATES


def _hash(url: str) -> str:
    """Content hash of the scenario stored at a URL."""
    engine = make_engine(url)
    with Session(engine) as session:
        digest = store.content_hash(session)
    engine.dispose()
    return digest


@pytest.mark.slow  # days or a whole twin generated: a scenario test, not the quick loop
def test_seed_twice_gives_identical_data(databases, backend, monkeypatch):
    empty = databases.empty(backend)
    monkeypatch.setenv("YM_DATABASE_URL", empty)
    result = CliRunner().invoke(app, ["seed", "--seed", "7"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout[result.stdout.index("{") :])["shipments"] > 9000
    # against SQLite's seeding, by inserts: PostgreSQL's is written by COPY
    assert _hash(empty) == _hash(databases.seeded("sqlite"))


def test_another_seed_gives_another_network():
    seven, eight = scenario.generate(7), scenario.generate(8)
    assert seven[m.Shipment][:50] != eight[m.Shipment][:50]
    assert [row["code"] for row in seven[m.Sku]] == [row["code"] for row in eight[m.Sku]]


def test_seed_if_empty_keeps_a_loaded_scenario(seeded_url, monkeypatch):
    monkeypatch.setenv("YM_DATABASE_URL", seeded_url)
    before = _hash(seeded_url)
    result = CliRunner().invoke(app, ["seed", "--seed", "8", "--if-empty"])
    assert result.exit_code == 0 and "already loaded" in result.output
    assert _hash(seeded_url) == before


@pytest.fixture(scope="module")
def rows():
    """The seed-7 scenario rows, generated once."""
    return scenario.generate(7)


def test_fixed_codes_of_the_reference_network(rows):
    codes = {model: {row.get("code") or row.get("id") for row in rows[model]} for model in rows}
    assert {"DC-DAL", "DC-HOU", "DC-ATL", "DC-CHI", "DC-LAX"} <= codes[m.Location]
    assert {f"CUST-{n:04d}" for n in range(1, 201)} <= codes[m.Location]
    assert codes[m.Sku] == {f"SKU-{n:04d}" for n in range(1, 61)}
    assert codes[m.Vehicle] == {f"TRK-{n:03d}" for n in range(1, 41)}
    assert codes[m.Carrier] == {
        "CAR-SWIFTLINE",
        "CAR-REDRIVER",
        "CAR-BLUEGRID",
        "CAR-PRAIRIE",
        "CAR-COASTAL",
        "CAR-METRO",
    }
    assert "SHP-000001" in codes[m.Shipment]


def test_demand_has_weekday_and_promotion_effects(rows):
    demand = pd.DataFrame(rows[m.DemandHistory])
    demand["weekday"] = pd.to_datetime(demand["day"]).dt.day_of_week
    grocery = demand[demand["sku"] == "SKU-0001"]
    assert grocery.groupby("weekday")["units"].mean()[5] > 1.1 * grocery.groupby("weekday")["units"].mean()[1]
    by_promo = demand.groupby(["sku", "location", "promo"])["units"].mean().unstack()
    assert (by_promo[True] > by_promo[False]).mean() > 0.9


def test_carriers_differ_in_on_time_performance(rows):
    on_time = pd.DataFrame(rows[m.CarrierLane]).groupby("carrier")["on_time_rate"].mean()
    assert on_time["CAR-SWIFTLINE"] - on_time["CAR-PRAIRIE"] > 0.1


def test_telemetry_drifts_before_failures(engine):
    with Session(engine) as session:
        telemetry = frames.telemetry_frame(session)
        failures = frames.failure_frame(session)
    assert 40 <= len(failures) <= 3 * 40
    before, normal = [], telemetry.set_index(["truck", "at"])["engine_temp_c"]
    for failure in failures.itertuples():
        window = telemetry[
            (telemetry["truck"] == failure.truck)
            & (telemetry["at"] < failure.at)
            & (telemetry["at"] >= failure.at - pd.Timedelta(days=2))
        ]
        before.extend(window["engine_temp_c"])
    assert np.mean(before) > normal.median() + 6


def test_summary_counts(engine):
    with Session(engine) as session:
        summary = store.summary(session)
        open_ids = session.exec(select(m.Shipment.id).where(m.Shipment.status == "in_transit")).all()
    assert summary | {"open_exceptions": 0} == summary
    assert (summary["dcs"], summary["skus"], summary["carriers"], summary["trucks"], summary["history_days"]) == (
        5,
        60,
        6,
        40,
        365,
    )
    assert summary["customers"] == 200 and summary["shipments"] > 9000 and open_ids


def _digest(rows: scenario.Rows) -> str:
    """A digest of every generated row, table by table."""
    digest = hashlib.sha256()
    for model, table in rows.items():
        digest.update(model.__name__.encode())
        digest.update(json.dumps(table, default=str, sort_keys=True).encode())
    return digest.hexdigest()


@pytest.mark.slow  # days or a whole twin generated: a scenario test, not the quick loop
def test_scale_one_gives_the_reference_twin_unchanged(rows):
    # the digest of the seed-7 rows as generated before the scale option, the supply terms, the daily stock positions
    # and the calendar ahead of the clock existed (the rates are the documented defaults, which grow with the cost
    # model)
    before_supply = {
        model: table for model, table in rows.items() if model not in (m.SupplyTerm, m.CostRate, m.StockDay)
    }
    history = [row for row in rows[m.CalendarDay] if row["day"] < scenario.AS_OF.date()]
    assert len(rows[m.CalendarDay]) == len(history) + scenario.CALENDAR_AHEAD_DAYS
    before_supply[m.CalendarDay] = history
    assert [row["key"] for row in rows[m.CostRate]] == [rate.key for rate in DEFAULT_RATES]
    assert _digest(before_supply) == "6e79d16d9847976848c6850a27886f09be7541b9bdcf833255e3f37b70e7dad8"
    assert {term["regular_lead_days"] for term in rows[m.SupplyTerm]} == {3}
    assert len(rows[m.SupplyTerm]) == 60
    assert _digest(scenario.generate(7, scale=1)) == _digest(rows)
    closes = {(row["sku"], row["location"]): row for row in rows[m.StockDay]}  # the close of the last history day
    assert {row["day"] for row in rows[m.StockDay]} == {scenario.AS_OF.date() - timedelta(days=1)}
    assert len(closes) == len(rows[m.InventoryPosition]) == 300
    for p in rows[m.InventoryPosition]:
        close = closes[(p["sku"], p["location"])]
        assert (close["on_hand"], close["on_order"], close["safety_stock"]) == (
            p["on_hand"],
            p["in_transit"],
            p["safety_stock"],
        )


@pytest.fixture(scope="module")
def tripled():
    """The seed-7 scenario grown three-fold."""
    return scenario.generate(7, scale=3)


def test_scale_multiplies_shipments_and_fleet(rows, tripled):
    grown = [m.Shipment, m.ScanEvent, m.Vehicle, m.TelemetryReading, m.WorkOrder, m.Route, m.RouteStop]
    for model in grown:
        assert len(tripled[model]) == 3 * len(rows[model]), model.__name__
    open_orders = sum(row["status"] == "open" for row in rows[m.Order])
    assert len(tripled[m.Order]) == 3 * len(rows[m.Order]) - 2 * open_orders
    for model in (m.Sku, m.DemandHistory, m.InventoryPosition, m.Lane, m.CalendarDay, m.RegionCondition):
        assert tripled[model] == rows[model], model.__name__
    carriers = {row["code"]: row["capacity_per_week"] for row in rows[m.Carrier]}
    assert {row["code"]: row["capacity_per_week"] for row in tripled[m.Carrier]} == {
        code: 3 * capacity for code, capacity in carriers.items()
    }


def test_scale_keeps_every_fixed_code_and_adds_new_ones(rows, tripled):
    for model in (m.Shipment, m.ScanEvent, m.Vehicle, m.TelemetryReading, m.WorkOrder, m.Route, m.Order):
        assert tripled[model][: len(rows[model])] == rows[model], model.__name__
    trucks = [row["code"] for row in tripled[m.Vehicle]]
    assert trucks == [f"TRK-{n:03d}" for n in range(1, 121)]
    for model, key in [(m.Shipment, "id"), (m.Order, "id"), (m.ScanEvent, "event_id"), (m.WorkOrder, "id")]:
        codes = [row[key] for row in tripled[model]]
        assert len(set(codes)) == len(codes), model.__name__
    routes = [row["id"] for row in tripled[m.Route]]
    assert len(set(routes)) == len(routes)
    assert {"key": "scale", "value": "3"} in tripled[m.TwinMeta]


def test_scaled_rows_reference_existing_rows(tripled):
    shipments = {row["id"] for row in tripled[m.Shipment]}
    trucks = {row["code"] for row in tripled[m.Vehicle]}
    orders = {row["id"] for row in tripled[m.Order]}
    routes = {row["id"] for row in tripled[m.Route]}
    assert all(row["shipment_id"] in shipments for row in tripled[m.ScanEvent])
    assert all(row["event_id"].startswith(row["shipment_id"] + "-") for row in tripled[m.ScanEvent])
    assert all(row["truck"] in trucks for row in tripled[m.TelemetryReading])
    assert all(row["truck"] in trucks for row in tripled[m.WorkOrder] + tripled[m.Route])
    assert all(row["truck"] in trucks for row in tripled[m.Shipment] if row["truck"])
    assert all(row["order_id"] in orders for row in tripled[m.Shipment] if row["order_id"])
    assert all(row["order_id"] in orders for row in tripled[m.OrderLine])
    assert all(row["route_id"] in routes and row["shipment_id"] in shipments for row in tripled[m.RouteStop])
    clone = next(row for row in tripled[m.Route] if row["truck"] == "TRK-047")
    assert clone["id"].endswith("-TRK-047")


@pytest.mark.slow  # days or a whole twin generated: a scenario test, not the quick loop
def test_seed_scale_loads_a_grown_twin(databases, monkeypatch):
    monkeypatch.setenv("YM_DATABASE_URL", databases.empty("sqlite"))
    result = CliRunner().invoke(app, ["seed", "--scale", "2"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout[result.stdout.index("{") :])
    assert summary["trucks"] == 80 and summary["shipments"] > 18000


def test_seed_scale_below_one_is_refused(monkeypatch, tmp_path):
    monkeypatch.setenv("YM_DATA_DIR", str(tmp_path))
    result = CliRunner().invoke(app, ["seed", "--scale", "0"])
    assert result.exit_code == 2 and "--scale" in result.output
    with pytest.raises(ValueError, match="scale"):
        scenario.generate(7, scale=0)
