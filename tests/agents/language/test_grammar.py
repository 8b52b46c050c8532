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
