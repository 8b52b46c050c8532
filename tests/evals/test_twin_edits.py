"""Tests of the changes an eval case makes to its copy of the twin: policy rules and counterfactual edits."""

from collections.abc import Iterator
from statistics import median

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from agents.policy import PolicyRule, ensure_defaults, rules
from evals.cases import TwinEdit
from evals.twin_edits import BASELINE_DAYS, apply_edit, store_rules
from twin import frames
from twin import models as m
from twin.db import make_engine


@pytest.fixture
def seeded(databases) -> Iterator[Engine]:
    """A private SQLite copy of the seeded reference network."""
    engine = make_engine(databases.seeded("sqlite"))
    yield engine
    engine.dispose()


def test_rules_are_inserted_or_replaced_by_action_type_and_cohort(seeded):
    with Session(seeded) as session:
        ensure_defaults(session)
        store_rules(
            session,
            [
                PolicyRule(action_type="transfer_stock", autonomy_level=1),
                PolicyRule(action_type="book_carrier", cohort="HOU-DAL", autonomy_level=2),
            ],
        )
        stored = {(rule.action_type, rule.cohort): rule for rule in rules(session)}
    assert stored[("transfer_stock", "*")].autonomy_level == 1
    assert stored[("transfer_stock", "*")].max_cost_usd is None
    assert stored[("book_carrier", "HOU-DAL")].autonomy_level == 2
    assert stored[("book_carrier", "*")].autonomy_level == 3


def test_shifting_the_promise_adds_slack_and_a_delay_scan_is_known_mid_journey(seeded):
    with Session(seeded) as session:
        before = frames.shipment_frame(session, ids=["SHP-009301"]).iloc[0]
        apply_edit(session, TwinEdit(kind="shift_promise", target="SHP-009301", amount=24))
        apply_edit(session, TwinEdit(kind="add_delay_scan", target="SHP-009301", amount=600))
        after = frames.shipment_frame(session, ids=["SHP-009301"]).iloc[0]
    assert after["slack_hours"] == pytest.approx(before["slack_hours"] + 24)
    assert after["scan_delay_minutes"] == before["scan_delay_minutes"] + 600


def test_healthy_telemetry_replaces_the_last_days_by_the_median_of_the_days_before(seeded):
    with Session(seeded) as session:
        readings = list(
            session.exec(
                select(m.TelemetryReading).where(m.TelemetryReading.truck == "TRK-007").order_by(m.TelemetryReading.at)
            ).all()
        )
        typical = median(r.oil_pressure_kpa for r in readings[-14 - BASELINE_DAYS : -14])
        first_replaced = readings[-14].id
        apply_edit(session, TwinEdit(kind="healthy_telemetry", target="TRK-007", amount=14))
        edited = session.get(m.TelemetryReading, first_replaced)
        untouched = session.get(m.TelemetryReading, readings[-15].id)
    assert edited.oil_pressure_kpa == typical
    assert edited.fault_codes == 0
    assert untouched.oil_pressure_kpa == readings[-15].oil_pressure_kpa


def test_on_hand_is_set_and_unknown_targets_are_refused(seeded):
    with Session(seeded) as session:
        apply_edit(session, TwinEdit(kind="set_on_hand", target="SKU-0042@DC-DAL", amount=3000))
        position = session.exec(
            select(m.InventoryPosition).where(
                m.InventoryPosition.sku == "SKU-0042", m.InventoryPosition.location == "DC-DAL"
            )
        ).first()
        assert position.on_hand == 3000
        with pytest.raises(ValueError, match="unknown shipment"):
            apply_edit(session, TwinEdit(kind="shift_promise", target="SHP-999999", amount=1))
        with pytest.raises(ValueError, match="unknown position"):
            apply_edit(session, TwinEdit(kind="set_on_hand", target="SKU-0042@DC-NYC", amount=1))
