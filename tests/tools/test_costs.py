"""The cost model on hand-computed plans, at the documented default rates."""

import pytest

from tools import costs
from tools.costs import Rates
from twin.rates import DEFAULT_RATES

RATES = Rates.of([])


class Stored:
    """A stored rate row as the twin holds it."""

    def __init__(self, key: str, value: float, version: int) -> None:
        self.key, self.value, self.version = key, value, version
        self.unit, self.source = "USD/late delivery", "edited by a planner"


def test_late_shipment_plans_at_the_default_rates():
    # a gold customer's shipment, P(late) 0.5: notify costs 25 USD and leaves 0.5 x 1,500 x 0.8 = 600 USD expected
    assert costs.late_penalty(RATES, "gold") == 1500.0
    assert costs.notify(RATES) == 25.0
    assert costs.expected_late_penalty(RATES, 0.5, "gold", notified=True) == 600.0
    assert costs.expected_late_penalty(RATES, 0.5, "gold", notified=False) == 750.0
    # expediting a 400-mile trip: 150 + 0.75 x 400
    assert costs.expedite_shipment(RATES, 400) == 450.0
    assert costs.carrier_move(2.1, 250) == 525.0
    assert costs.spot_move(RATES, 1000.0) == 1250.0


def test_own_fleet_workshop_and_breakdown_costs():
    # 10 extra miles and 0.5 extra driver hours: 16.09 km x 1.18 + 0.5 x 38
    assert costs.own_fleet(RATES, 10, 0.5) == pytest.approx(round(16.09344 * 1.18 + 19.0, 2))
    assert costs.own_fleet(RATES, -10, -0.5) == 0.0  # a saving is never a negative cost
    assert costs.workshop_visit(RATES, "removal", 8) == 8 * 145 + 1800
    assert costs.workshop_visit(RATES, "routine", 3) == 3 * 145 + 250
    assert costs.breakdown(RATES, 5) == 1000 + 2500 + 3 * 5 * 150
    assert costs.tender_stops(RATES, 2.0, [10, 20]) == 2 * 30 + 2 * 75


def test_stock_costs():
    assert costs.stockout(RATES, 10, 7.9) == round(10 * (7.9 + 2.0), 2)
    assert costs.stockout(RATES, -3, 7.9) == 0.0
    held = costs.holding(RATES, 36, 17.75, 4.5)
    assert costs.purchase(RATES, 36, 17.75, expedited=True, holding_days=4.5) == round(
        36 * 0.35 + 36 * 17.75 * 0.3 + held, 2
    )
    assert costs.purchase(RATES, 36, 17.75, expedited=False, holding_days=4.5) == round(36 * 0.35 + held, 2)
    assert costs.days_held(36, 4.0) == 4.5 and costs.days_held(36, 0.0) == 0.0
    assert costs.transfer_per_unit(RATES, 2.0, 500, 4.0, 20_000) == round(2.0 * 500 * 4 / 20_000 + 0.35, 4)
    assert costs.holding(RATES, 365, 10.0, 365) == 365 * 10 * 0.25


def test_stored_rates_override_defaults_and_are_cited_with_version_and_source():
    rates = Rates.of([Stored("late_penalty_usd_gold", 2000.0, 2)])
    assert costs.late_penalty(rates, "gold") == 2000.0 and costs.late_penalty(rates, "silver") == 750.0
    record = rates.evidence(["late_penalty_usd_gold", "notified_penalty_share"])
    assert record.facts == {"late_penalty_usd_gold": 2000.0, "notified_penalty_share": 0.8}
    assert record.inputs["late_penalty_usd_gold"]["version"] == 2
    assert record.inputs["notified_penalty_share"]["source"].startswith("SOP-LATE-01")
    assert record.source.tool == "cost_model" and record.source.version == rates.version != RATES.version


def test_every_default_rate_is_documented():
    assert all(rate.source and rate.unit and rate.value >= 0 for rate in DEFAULT_RATES)
    assert len({rate.key for rate in DEFAULT_RATES}) == len(DEFAULT_RATES)
