"""Answers: sentences and tables from results, drivers with values, checks against the turn's results."""

from datetime import date

from agents.whatif import CapacityChangeWhatIf, LaneClosureWhatIf
from chat.answers import answer, drivers_answer, failure, verified
from chat.lookups import SpendFacts, SpendRow
from chat.tools.carriers import CarriersFacts
from chat.tools.stock import CoverFacts, ForecastFacts

COVER = {
    "sku": "SKU-0042",
    "location": "DC-HOU",
    "on_hand": 539,
    "available": 580,
    "daily_demand_p50": 13.4,
    "days_of_cover": 43.3,
    "evidence": [],
}


def test_a_result_reads_as_a_sentence_that_the_check_accepts():
    text = answer("days_of_cover", CoverFacts.model_validate(COVER))
    assert text == (
        "SKU-0042 at DC-HOU has 580 units available (539 on hand): about 43.3 days of cover at the "
        "forecast 13.4 units a day."
    )
    assert verified(text, [COVER]) and not verified(text.replace("43.3", "45"), [COVER])
    assert not verified(text, [{**COVER, "sku": "SKU-0041"}])


def test_lists_come_as_small_tables():
    offers = {
        "lane": "DAL-HOU",
        "offers": [
            {
                "carrier": "CAR-SWIFTLINE",
                "lane": "DAL-HOU",
                "on_time_rate": 0.922,
                "rate_per_mile": 2.45,
                "transit_days": 1,
                "capacity_per_week": 11,
                "shipments": 40,
            },
            {
                "carrier": "CAR-REDRIVER",
                "lane": "DAL-HOU",
                "on_time_rate": 0.79,
                "rate_per_mile": 1.93,
                "transit_days": 1,
                "capacity_per_week": 8,
                "shipments": 30,
            },
        ],
        "evidence": [],
    }
    text = answer("compare_carriers", CarriersFacts.model_validate(offers))
    assert text.splitlines()[0] == "On DAL-HOU, CAR-SWIFTLINE has the best on-time rate, 92%."
    assert "| CAR-REDRIVER | DAL-HOU | 79% | 1.93 | 1 | 8 |" in text and verified(text, [offers])


def test_why_names_the_main_drivers_with_their_values():
    evidence = [
        {
            "id": "forecast:SKU-0042/DC-DAL:2026-11-01",
            "drivers": [
                {"feature": "price_ratio", "value": 0.8, "contribution": 8.3},
                {"feature": "dow", "value": 2, "contribution": -0.1},
                {"feature": "mean_28", "value": 31.5, "contribution": 1.2},
                {"feature": "lag_9", "value": 30, "contribution": 0.9},
            ],
        }
    ]
    assert drivers_answer("forecast_demand", evidence) == (
        "For the forecast of SKU-0042 at DC-DAL as of 2026-11-01, the main drivers are "
        "price against usual 0.8 (+8.3), average demand over four weeks against usual 31.5 (+1.2), "
        "demand on recent days against usual 30 (+0.9)."
    )
    assert "_" not in drivers_answer("forecast_demand", evidence)


def test_a_tool_error_is_a_plain_sentence():
    assert failure("SKU-9999 is not in the twin") == "I could not do that: SKU-9999 is not in the twin."


LANE_CLOSURE = {
    "lane": "DAL-LAX",
    "direct": {"lane": "DAL-LAX", "carrier": "CAR-PRAIRIE", "miles": 1485.3, "transit_days": 2, "cost_usd": 2747.8},
    "first_day": "2026-11-02",
    "last_day": "2026-11-04",
    "days": 3,
    "detours": [
        {
            "via": "DC-HOU",
            "legs": [
                {"lane": "DAL-HOU", "carrier": "CAR-BLUEGRID", "miles": 269.8, "transit_days": 1, "cost_usd": 520.71},
                {"lane": "HOU-LAX", "carrier": "CAR-BLUEGRID", "miles": 1645.1, "transit_days": 2, "cost_usd": 3323.1},
            ],
            "extra_cost_usd": 1096.01,
            "extra_days": 1,
        }
    ],
    "open_shipments": [
        {
            "shipment_id": "SHP-009292",
            "status": "in_transit",
            "customer_tier": "standard",
            "promised_at": "2026-11-04T04:04:32",
            "days_held": 3,
            "misses_promise": True,
            "penalty_usd": 300.0,
            "best": "wait",
        }
    ],
    "usual_loads": 1,
    "late_load_penalty_usd": 500.0,
    "detour_total_usd": 2192.02,
    "wait_total_usd": 800.0,
    "best_total_usd": 800.0,
    "evidence": [],
}


def test_a_lane_closure_reads_as_detour_wait_and_totals():
    text = answer("what_if_lane_closure", LaneClosureWhatIf.model_validate(LANE_CLOSURE))
    assert text.startswith(
        "If DAL-LAX closes from 2026-11-02 to 2026-11-04 (3 days), 1 open shipment would travel it then, and it "
        "usually carries 1 load in as many days."
    )
    assert "through DC-HOU (DAL-HOU by CAR-BLUEGRID and HOU-LAX by CAR-BLUEGRID): 1,096.01 USD more" in text
    assert "2,192.02 USD in all" in text and "costs 800 USD in late penalties" in text
    assert "| SHP-009292 | standard | 2026-11-04 | yes | 300 USD | wait |" in text
    assert verified(text, [LANE_CLOSURE]) and "_" not in text
    quiet = LANE_CLOSURE | {"open_shipments": [], "usual_loads": 0}
    nothing = answer("what_if_lane_closure", LaneClosureWhatIf.model_validate(quiet))
    assert "no open shipment and no usual load would travel it" in nothing


CAPACITY_CHANGE = {
    "carrier": "CAR-CHEAP",
    "factor": 0.7,
    "change_pct": 30.0,
    "lane": "DAL-HOU",
    "lanes": ["DAL-HOU"],
    "loads": 6,
    "now": {"freight_cost_usd": 3510.0, "expected_late_loads": 0.6, "unassigned_loads": 0},
    "then": {"freight_cost_usd": 3780.0, "expected_late_loads": 0.6, "unassigned_loads": 0},
    "change": {"freight_cost_usd": 270.0, "expected_late_loads": 0.0, "unassigned_loads": 0},
    "loads_moved": 1,
    "carriers": [
        {"carrier": "CAR-CHEAP", "capacity_now": 2, "capacity_then": 1, "loads_now": 2, "loads_then": 1},
        {"carrier": "CAR-DEAR", "capacity_now": 10, "capacity_then": 10, "loads_now": 4, "loads_then": 5},
    ],
    "late_penalty_usd": 500.0,
    "solver_status": "OPTIMAL",
    "evidence": [],
}


def test_a_capacity_change_reads_as_the_two_tenders():
    text = answer("what_if_capacity_change", CapacityChangeWhatIf.model_validate(CAPACITY_CHANGE))
    assert text.startswith(
        "If CAR-CHEAP's capacity on DAL-HOU drops by 30%, the solver tenders the 6 usual weekly loads there at "
        "today's capacity and at the changed one: 1 load changes carrier. Freight cost goes from 3,510 USD to "
        "3,780 USD (+270 USD)"
    )
    assert "| CAR-DEAR | 10 | 10 | 4 | 5 |" in text and verified(text, [CAPACITY_CHANGE])
    doubled = answer(
        "what_if_capacity_change",
        CapacityChangeWhatIf.model_validate(CAPACITY_CHANGE | {"factor": 2.0, "change_pct": 100.0}),
    )
    assert "capacity on DAL-HOU doubles" in doubled


def test_a_forecast_of_one_day_names_the_day():
    result = {
        "sku": "SKU-0042",
        "location": "DC-DAL",
        "days": [{"day": "2026-11-10", "p10": 11.7, "p50": 26.6, "p90": 38.8}],
        "days_total": {"p10": 11.7, "p50": 26.6, "p90": 38.8},
        "as_of": "2026-11-01",
        "horizon_weeks": 2,
        "total": {"p10": 209.4, "p50": 271.5, "p90": 305.2},
        "weeks": [],
        "evidence": [],
    }
    text = answer("forecast_demand", ForecastFacts.model_validate(result))
    assert text == (
        "SKU-0042 at DC-DAL should sell about 26.6 units on Tuesday 2026-11-10, between 11.7 and 38.8 units "
        "(p10 to p90)."
    )
    assert verified(text, [result])


def test_spend_over_several_action_types_names_the_largest_and_tables_them():
    facts = SpendFacts(
        first_day=date(2026, 11, 1),
        last_day=date(2026, 11, 2),
        total_usd=1500.0,
        rows=[
            SpendRow(action_type="transfer_stock", actions=3, cost_usd=1200.0),
            SpendRow(action_type="notify_customer", actions=2, cost_usd=300.0),
        ],
        evidence=[],
    )
    text = answer("spend", facts)
    assert text.startswith("From 2026-11-01 to 2026-11-02, executed actions cost")
    assert "the most went on transfer stock" in text
    assert "notify_customer" in text
