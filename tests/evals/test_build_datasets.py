"""Tests of the data set generator on a hand-made network with known labels, and of its committed output."""

from datetime import timedelta

from evals.build_datasets import ACTED, ANY, Network, fleet_cases, late_shipment_cases, policy_edge_cases, spread
from evals.cases import load_suite
from twin import models as m
from twin.seed import AS_OF


def shipment(code: str, status: str, shipped_hours_ago: float, promised_in_hours: float) -> dict:
    """A local shipment of 30 miles (3 planned hours of transit) to CUST-0001."""
    return {
        "id": code,
        "lane": "DAL-DAL",
        "distance_miles": 30.0,
        "status": status,
        "destination": "CUST-0001",
        "shipped_at": AS_OF - timedelta(hours=shipped_hours_ago),
        "promised_at": AS_OF + timedelta(hours=promised_in_hours),
    }


def tiny() -> Network:
    """Three shipments in transit (late by its scans, early, in between), two stops today, one delivered."""
    rows = {
        m.Shipment: [
            shipment("SHP-000001", "in_transit", 10, 0),
            shipment("SHP-000002", "in_transit", 1, 20),
            shipment("SHP-000003", "in_transit", 1, 5),
            shipment("SHP-000004", "planned", 0, 7),
            shipment("SHP-000005", "planned", 0, 7),
            shipment("SHP-000006", "delivered", 50, -40),
        ],
        m.RouteStop: [{"shipment_id": "SHP-000004", "eta_min": 600}, {"shipment_id": "SHP-000005", "eta_min": 850}],
        m.Location: [{"code": "CUST-0001", "kind": "customer", "window_end_min": 900}],
    }
    return Network(rows=rows, truck_status={}, delays={"SHP-000001": 600})


def test_spread_keeps_the_ends_and_spaces_the_rest():
    assert spread(list(range(10)), 4) == [0, 3, 6, 9]
    assert spread([1, 2], 5) == [1, 2]


def test_late_shipments_are_labelled_from_their_scans_windows_and_status():
    cases = {case.id: case for case in late_shipment_cases(tiny())}
    assert cases["late-SHP-000001"].expect.status == ACTED
    assert cases["late-SHP-000002"].expect.status == ["no_action"]
    assert cases["late-SHP-000003"].expect.status == ANY
    assert cases["late-SHP-000004"].category == "nothing_to_do"
    assert "late-SHP-000005" not in cases
    assert cases["late-SHP-000006"].expect.mentions == ["SHP-000006", "delivered"]
    unknown = cases["late-unknown-SHP-000007"]
    assert (unknown.expect.status, unknown.expect.missing) == (["needs_info"], ["shipment_id"])


def test_trucks_are_labelled_by_how_far_their_drift_has_gone():
    net = Network(
        rows={},
        truck_status={
            "TRK-001": ("active", 0, 10),
            "TRK-002": ("active", 4, 12),
            "TRK-003": ("active", 18, 20),
            "TRK-004": ("out_of_service", 0, 9),
        },
    )
    cases = {case.id: case for case in fleet_cases(net)}
    assert cases["fleet-TRK-002"].expect.required_action_types == ["schedule_maintenance"]
    assert cases["fleet-TRK-002"].counterfactual.edit.kind == "healthy_telemetry"
    assert cases["fleet-TRK-003"].expect.status == ANY
    assert cases["fleet-TRK-004"].expect.status == ANY
    assert cases["fleet-TRK-001"].expect.status == ["no_action"]
    assert {"fleet-unknown-TRK-041", "fleet-unknown-TRK-999"} <= set(cases)


def test_the_committed_policy_edges_are_what_the_generator_writes():
    assert policy_edge_cases() == load_suite("policy_edges")
