"""Answers: sentences and tables from results, drivers with values, checks against the turn's results."""

from chat.answers import answer, drivers_answer, failure, verified
from chat.tools.carriers import CarriersFacts
from chat.tools.stock import CoverFacts

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
            "id": "forecast:SKU-0042/DC-DAL",
            "drivers": [
                {"feature": "price_ratio", "value": 0.8, "contribution": 8.3},
                {"feature": "dow", "value": 2, "contribution": -0.1},
                {"feature": "mean_28", "value": 31.5, "contribution": 1.2},
                {"feature": "lag_7", "value": 30, "contribution": 0.9},
            ],
        }
    ]
    assert drivers_answer("forecast_demand", evidence) == (
        "For forecast:SKU-0042/DC-DAL, the main drivers are "
        "price against usual 0.8 (+8.3), average demand over four weeks 31.5 (+1.2), "
        "demand a week ago 30 (+0.9)."
    )


def test_a_tool_error_is_a_plain_sentence():
    assert failure("SKU-9999 is not in the twin") == "I could not do that: SKU-9999 is not in the twin."
