"""The grammar of exact parts: codes, places with direction, periods on the clock, counts, factors, spans."""

import datetime as dt

import pytest

from agents.language import grammar as g

MONDAY = dt.date(2026, 11, 2)


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("late count last week", "2026-10-26", "2026-11-01"),
        ("forecast next Tuesday", "2026-11-10", "2026-11-10"),
        ("closed Thursday and Friday", "2026-11-05", "2026-11-06"),
        ("over the next 3 weeks", "2026-11-02", "2026-11-22"),
        ("between Oct 20 and Oct 31", "2026-10-20", "2026-10-31"),
        ("in the last two weeks", "2026-10-19", "2026-11-01"),
        ("this month", "2026-11-01", "2026-11-30"),
    ],
)
def test_periods_are_dates_on_the_twin_clock(text, start, end):
    period = g.period(text, MONDAY)
    assert (str(period.start), str(period.end)) == (start, end)


def test_right_now_is_not_a_period():
    assert g.period("how many units are sitting there right now", MONDAY) is None


@pytest.mark.parametrize(
    ("text", "factor"),
    [
        ("demand jumps 40%", 1.4),
        ("loses 30% of its capacity", 0.7),
        ("sales drop by a third", 0.6667),
        ("doubles its capacity", 2.0),
        ("cuts capacity in half", 0.5),
        ("adds 50% capacity", 1.5),
    ],
)
def test_factors_read_their_direction(text, factor):
    assert g.factor(text) == pytest.approx(factor, abs=0.001)


def test_places_codes_and_spans():
    assert g.dcs("loads headed to Atlanta", [])[0:2] == (["DC-ATL"], "destination")
    assert g.dcs("shipments out of LA today", [])[1] == "origin"
    assert g.lane_list("Houston to Dallas")[0] == ["HOU-DAL"]
    assert g.carriers("Swiftline vs Red River") == ["CAR-SWIFTLINE", "CAR-REDRIVER"]
    assert g.code("truck 5 and TRK-031", "truck|trk", "TRK", 3) == ["TRK-005", "TRK-031"]
    assert g.span_days("shuts down for a whole week") == 7 and g.span_days("closed 4 days") == 4
    assert g.action_type("expedite spend this week") == "expedite_shipment"
    assert g.top_n("the 10 riskiest shipments") == 10 and g.top_n("worst 2 carriers") == 2


@pytest.mark.parametrize(
    ("text", "weights", "tier"),
    [
        ("favour on-time over cost for gold customers", (2.0, None), "gold"),
        ("favour cost over on-time for standard customers", (0.5, None), "standard"),
        ("weight late penalties 3 for silver on DAL-HOU", (3.0, None), "silver"),
        ("weight 3 on late penalties for gold", (3.0, None), "gold"),
        ("set the CO2 weight to 1.5 on CHI-LAX", (None, 1.5), None),
        ("count lateness twice for gold", (2.0, None), "gold"),
        ("weight late penalties 12 for gold", (12.0, None), "gold"),
        ("what is the current trade-off?", (None, None), None),
    ],
)
def test_trade_off_weights_and_tiers(text, weights, tier):
    assert g.speaks_of_tradeoff(text)
    assert (g.tradeoff_weights(text), g.tier(text)) == (weights, tier)


def test_on_time_questions_and_penalties_paid_are_not_the_trade_off():
    for text in ("what is the on-time rate of Swift Line?", "what late penalties did we pay last week?"):
        assert not g.speaks_of_tradeoff(text) and g.tradeoff_weights(text) == (None, None)


def test_plans_are_named_by_their_type():
    assert [g.plan_type(t) for t in ("what is today's tender plan?", "show the maintenance plan", "today's plans")] == [
        "tender_plan",
        "maintenance_plan",
        None,
    ]
    assert g.asks_plans("today's plans") and not g.asks_plans("re-plan routes at Dallas")
