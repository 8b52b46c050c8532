"""Reading questions as typed queries: subject, measure, filters, aggregation, what-ifs, acts, limits and the
thread's memory."""

import datetime as dt

from agents.language.reader import read, report_reading
from agents.schemas import ExceptionType

MONDAY = dt.date(2026, 11, 2)


def _one(text, previous=None):
    """The single part a question reads as."""
    [part] = read(text, MONDAY, previous).parts
    return part


def test_cue_words_no_longer_collide():
    late = _one("how many loads were late last week on ATL-DAL")
    assert (late.subject, late.measure, late.filters.lane) == ("lane", "late_count", "ATL-DAL")
    rule = _one("do re-routes need approval?")
    assert (rule.subject, rule.measure, rule.filters.action_type) == ("policy", "approval_rule", "replan_route")
    most = _one("which DC holds the most SKU-0034?")
    assert (most.subject, most.measure, most.aggregation.kind) == ("sku", "stock_on_hand", "most")


def test_what_ifs_of_every_shape():
    surge = _one("what if demand for SKU-0042 jumps 40% next week at Dallas?")
    assert (surge.whatif.op, surge.whatif.factor, surge.filters.dcs) == ("demand_change", 1.4, ["DC-DAL"])
    breakdown = _one("TRK-012 breaks down this morning: which stops are hit?")
    assert (breakdown.whatif.op, breakdown.filters.truck) == ("truck_unavailable", "TRK-012")
    closure = _one("What if Houston shuts down for a whole week?")
    assert (closure.whatif.op, closure.whatif.days) == ("dc_closure", 7)


def test_a_lane_closure_is_a_scenario_however_it_is_asked():
    blocked = _one("DAL-HOU blocked Tuesday to Thursday, what are the options?")
    assert (blocked.kind, blocked.whatif.op, blocked.filters.lane) == ("whatif", "lane_closed", "DAL-HOU")
    assert (blocked.filters.period.start, blocked.filters.period.days) == (dt.date(2026, 11, 3), 3)
    lost = _one("we lose the Houston to Atlanta lane for a week, how would we route around it")
    assert (lost.whatif.op, lost.whatif.days, lost.filters.lane) == ("lane_closed", 7, "HOU-ATL")
    assert lost.filters.period is None and lost.filters.action_type is None, "for a week is the scenario's length"
    late = _one("how many loads were late on DAL-HOU last week")
    assert late.kind == "ask", "a lane without a closing word stays a question"


def test_dc_short_codes_future_sales_and_evidence():
    day = _one("how many SKU-0042 will DAL sell next Tuesday?")
    assert (day.measure, day.filters.dcs, day.filters.period.start) == ("forecast", ["DC-DAL"], dt.date(2026, 11, 10))
    moved = _one("how many units of SKU-0008 will CHI move on Friday")
    assert (moved.measure, moved.filters.dcs, moved.filters.period.days) == ("forecast", ["DC-CHI"], 1)
    lane = _one("late loads on DAL-HOU")
    assert (lane.filters.lane, lane.filters.dcs) == ("DAL-HOU", [])
    backed = _one("what evidence is behind DEC-ABCDEF123456")
    assert (backed.subject, backed.measure) == ("decision", "explain")


def test_multi_part_questions_answer_every_part():
    parts = read("what if both DC-DAL and DC-HOU close for 3 days", MONDAY).parts
    assert [p.filters.dcs for p in parts] == [["DC-DAL"], ["DC-HOU"]]
    stock, forecast = read("Stock of SKU-0042 in Dallas and the forecast for next week", MONDAY).parts
    assert forecast.filters.sku == stock.filters.sku == "SKU-0042" and forecast.measure == "forecast"


def test_limits_out_of_scope_and_missing_data():
    assert _one("write me a poem about trucks").kind == "out_of_scope"
    assert _one("book me a flight to Denver on Friday").kind == "out_of_scope"
    missing = _one("how much diesel did TRK-004 burn last week")
    assert (missing.kind, missing.missing) == ("no_data", "fuel consumption")
    assert _one("SKU-0042").kind == "clarify"


def test_thread_memory_carries_open_slots_and_referents():
    previous = _one("how much SKU-0042 is in Dallas")
    follow = _one("and at Houston?", previous)
    assert (follow.measure, follow.filters.sku, follow.filters.dcs) == ("stock_on_hand", "SKU-0042", ["DC-HOU"])
    listed = _one("riskiest 5 trucks")
    worst = _one("show me the worst one", listed)
    assert (worst.subject, worst.referent) == ("truck", "worst")


def test_reports_read_their_type_from_what_they_are_about():
    assert report_reading("We're almost out of SKU-0034 in Chicago") == (
        ExceptionType.stockout_risk,
        {"sku": "SKU-0034", "location": "DC-CHI"},
    )


def test_phrasings_beyond_the_heldout_set():
    shop = _one("when's TRK-030 next in the shop")
    assert (shop.subject, shop.measure) == ("truck", "next_service")
    sign_off = _one("does transferring stock need a sign-off?")
    assert (sign_off.subject, sign_off.measure, sign_off.filters.action_type) == (
        "policy",
        "approval_rule",
        "transfer_stock",
    )
    assert _one("what's the traffic like on I-45").missing == "live traffic"
    fewest = _one("which carrier had the fewest late loads last week")
    assert (fewest.subject, fewest.measure, fewest.aggregation.kind) == ("carrier", "late_count", "least")


def test_a_trade_off_set_is_an_act_and_a_plan_question_asks_for_the_plans():
    setting = _one("weight late penalties 3 for silver on DAL-HOU")
    assert (setting.kind, setting.act, setting.subject) == ("act", "set_tradeoff", "tradeoff")
    assert (setting.filters.tier, setting.filters.lane, setting.setting.on_time) == ("silver", "DAL-HOU", 3.0)
    assert (_one("what is the current trade-off?").kind, _one("what is the current trade-off?").subject) == (
        "ask",
        "tradeoff",
    )
    plan = _one("what is today's tender plan?")
    assert (plan.subject, plan.filters.plan_type, plan.filters.period.end) == ("plan", "tender_plan", MONDAY)
