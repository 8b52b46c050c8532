"""From typed queries to tool calls: what-ifs on a copy of the twin and forecasts of the days asked."""

import datetime as dt

from agents.language.reader import read
from chat.compose import steps_for

NOW = dt.datetime(2026, 11, 2, 8, 0, tzinfo=dt.UTC)


def _steps(text: str) -> list:
    """The steps of a one-part question on the twin's Monday."""
    [part] = read(text, NOW.date()).parts
    return steps_for(part, NOW)


def test_a_lane_closure_is_played_on_the_lane_in_the_direction_asked():
    [step] = _steps("what if the DAL-HOU lane is closed for 3 days?")
    assert (step.tool, step.args) == (
        "what_if_lane_closure",
        {"lane": "DAL-HOU", "days": 3, "first_day": dt.date(2026, 11, 2)},
    )
    [back] = _steps("Houston to Dallas lane shut Wednesday through Friday, what now")
    assert (back.args["lane"], back.args["days"], back.args["first_day"]) == ("HOU-DAL", 3, dt.date(2026, 11, 4))


def test_a_forecast_of_a_weekday_asks_for_that_day_only():
    [step] = _steps("how many SKU-0042 will DAL sell next Tuesday?")
    assert (step.tool, step.args) == (
        "forecast_demand",
        {
            "sku": "SKU-0042",
            "location": "DC-DAL",
            "first_day": dt.date(2026, 11, 10),
            "last_day": dt.date(2026, 11, 10),
        },
    )
    [weeks] = _steps("forecast SKU-0042 at Dallas for the next 3 weeks")
    assert weeks.args == {"sku": "SKU-0042", "location": "DC-DAL", "horizon_weeks": 3}


def test_a_capacity_change_on_a_lane_or_upwards_is_tendered_again():
    [up] = _steps("what if Swiftline doubles its capacity on DAL-HOU?")
    assert (up.tool, up.args) == (
        "what_if_capacity_change",
        {"carrier": "CAR-SWIFTLINE", "lane": "DAL-HOU", "factor": 2.0},
    )
    [down] = _steps("what if CAR-BLUEGRID capacity on DAL-HOU drops 30%?")
    assert (down.tool, down.args["factor"]) == ("what_if_capacity_change", 0.7)
    [cut] = _steps("what if Red River loses 30% of its capacity?")
    assert (cut.tool, cut.args["capacity_cut_pct"]) == ("what_if_capacity", 30.0)
