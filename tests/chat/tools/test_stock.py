"""Stock tools: the demand forecast by week or for the days asked, and days of cover."""

import datetime as dt

from tools.forecast import forecast
from twin import frames, store


def test_forecast_adds_the_model_days_into_weeks_and_reads_city_names(desk, tools_for):
    result = tools_for("viewer")["forecast_demand"].invoke(
        {"sku": "SKU-0042", "location": "Dallas", "horizon_weeks": 2}
    )
    with desk.toolbox.session() as session:
        history = frames.demand_frame(session)
    series = history[(history["sku"] == "SKU-0042") & (history["location"] == "DC-DAL")]
    direct = forecast(
        desk.toolbox.models.demand,
        series,
        {"sku": "SKU-0042", "location": "DC-DAL"},
        14,
        as_of=series["day"].max().date(),
    )
    assert result["location"] == "DC-DAL" and [w["week"] for w in result["weeks"]] == [1, 2]
    assert result["total"] == {
        "p10": round(direct.total.p10, 1),
        "p50": round(direct.total.p50, 1),
        "p90": round(direct.total.p90, 1),
    }
    assert result["weeks"][1]["p50"] == round(sum(day.p50 for day in direct.days[7:]), 1)
    assert result["weeks"][0]["first_day"] == direct.days[0].day.isoformat()
    assert result["evidence"][0]["source"]["model"] == "xgb-demand"


def test_a_forecast_of_some_days_gives_those_days_of_the_model(desk, tools_for):
    tools = tools_for("viewer")
    result = tools["forecast_demand"].invoke(
        {"sku": "SKU-0042", "location": "Dallas", "first_day": "2026-11-10", "last_day": "2026-11-10"}
    )
    with desk.toolbox.session() as session:
        history = frames.demand_frame(session)
    series = history[(history["sku"] == "SKU-0042") & (history["location"] == "DC-DAL")]
    as_of = series["day"].max().date()
    direct = forecast(desk.toolbox.models.demand, series, {"sku": "SKU-0042", "location": "DC-DAL"}, 9, as_of=as_of)
    [day] = [d for d in direct.days if d.day.isoformat() == "2026-11-10"]
    assert result["days"] == [
        {"day": "2026-11-10", "p10": round(day.p10, 1), "p50": round(day.p50, 1), "p90": round(day.p90, 1)}
    ]
    assert result["days_total"] == {k: v for k, v in result["days"][0].items() if k != "day"}
    assert tools["forecast_demand"].invoke(
        {"sku": "SKU-0042", "location": "Dallas", "first_day": as_of.isoformat()}
    ) == (f"the forecast starts on {(as_of + dt.timedelta(days=1)).isoformat()}; ask about a later day")


def test_days_of_cover_is_available_stock_over_forecast_daily_demand(desk, tools_for):
    result = tools_for("viewer")["days_of_cover"].invoke({"sku": "SKU-0042", "location": "Houston"})
    with desk.toolbox.session() as session:
        position = {p.location: p for p in store.positions(session, "SKU-0042")}["DC-HOU"]
    assert result["available"] == position.on_hand + position.in_transit - position.allocated
    assert abs(result["days_of_cover"] - result["available"] / result["daily_demand_p50"]) <= 0.05
