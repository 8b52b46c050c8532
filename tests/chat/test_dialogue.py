"""Planning a turn: typed queries become tool calls, follow-ups reuse the thread, lists set referents, acts wait for
a yes and a reason."""

from datetime import UTC, date, datetime

from chat.dialogue import MayAct, Memory, plan_turn, remember_items, remember_reading
from chat.graph import remembered

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # a Monday


def may(*acts: str) -> MayAct:
    """A caller who may do these acts, whatever their arguments."""
    return lambda tool, _args: tool in acts


DECIDER = may("approve_decision", "reject_decision", "override_decision")


def _calls(text: str, memory: Memory | None = None) -> tuple[list[tuple[str, dict]], Memory]:
    """The tool calls a message plans, and the memory after it."""
    plan, memory = plan_turn(text, memory or Memory(), NOW, DECIDER)
    return [(step.tool, step.args) for step in plan.steps], memory


def test_relative_dates_and_directions_become_arguments():
    calls, _ = _calls("which shipments to Dallas are at risk tomorrow?")
    assert calls == [("shipment_risks", {"destination": "DC-DAL", "top": 5, "due_by": "2026-11-04T00:00:00+00:00"})]
    calls, _ = _calls("what if Red River loses 30% of its capacity next week?")
    assert calls == [
        (
            "what_if_capacity",
            {"carrier": "CAR-REDRIVER", "lane": None, "capacity_cut_pct": 30.0, "week_of": date(2026, 11, 9)},
        )
    ]
    calls, _ = _calls("what happens if DC-HOU closes for a whole week?")
    assert calls == [("what_if_closure", {"location": "DC-HOU", "days": 7, "first_day": date(2026, 11, 2)})]


def test_new_shapes_compose_tools_instead_of_landing_on_the_nearest_intent():
    assert _calls("which DC has the most stock of SKU-0034?")[0] == [
        ("stock_levels", {"sku": "SKU-0034", "locations": []})
    ]
    assert _calls("do re-routes need approval?")[0] == [("policies", {"action_type": "replan_route"})]
    assert _calls("TRK-012 breaks down today: which stops are hit?")[0] == [
        ("what_if_truck", {"asset_id": "TRK-012", "day": date(2026, 11, 2)})
    ]
    ((tool, args),) = _calls("how many loads were late on DAL-HOU last week?")[0]
    assert tool == "delivery_performance" and args["lane"] == "DAL-HOU"
    assert (args["first_day"], args["last_day"]) == (date(2026, 10, 26), date(2026, 11, 1))


def test_every_part_of_a_question_is_answered():
    calls, _ = _calls("Days of cover for SKU-0034 in Chicago and in Atlanta")
    assert calls == [
        ("days_of_cover", {"sku": "SKU-0034", "location": "DC-CHI"}),
        ("days_of_cover", {"sku": "SKU-0034", "location": "DC-ATL"}),
    ]


def test_out_of_scope_gets_one_polite_sentence():
    plan, _ = plan_turn("write me a poem about trucks", Memory(), NOW, DECIDER)
    assert [step.tool for step in plan.steps] == [None]
    assert "outside what I do" in plan.steps[0].reply


def test_a_follow_up_changes_only_what_it_names():
    _, memory = _calls("compare CAR-SWIFTLINE and CAR-REDRIVER on DAL-HOU")
    calls, memory = _calls("and on ATL-CHI?", memory)
    assert calls[0][1]["carriers"] == ["CAR-SWIFTLINE", "CAR-REDRIVER"] and calls[0][1]["lane"] == "ATL-CHI"
    calls, _ = _calls("how about metro", memory)
    assert calls[0][1]["carriers"] == ["CAR-METRO"] and calls[0][1]["lane"] == "ATL-CHI"


def test_a_list_sets_the_referents_of_the_next_turn():
    _, memory = _calls("riskiest 5 trucks")
    remember_items(memory, {"trucks": [{"asset_id": "TRK-008"}, {"asset_id": "TRK-007"}]})
    assert _calls("the second one", memory)[0] == [("truck_status", {"asset_id": "TRK-007"})]
    assert _calls("when is the worst one due for service?", memory)[0] == [("truck_status", {"asset_id": "TRK-008"})]
    remember_items(memory, {"decisions": [{"decision_id": "DEC-1A2B3C4D5E6F"}]})
    plan, memory = plan_turn("approve the first one", memory, NOW, DECIDER)
    assert plan.reply == "Approve DEC-1A2B3C4D5E6F? yes/no"


def test_a_verdict_without_a_decision_asks_which_naming_no_made_up_code():
    plan, _ = plan_turn("approve it", Memory(), NOW, DECIDER)
    assert plan.reply.startswith("Which decision?") and "DEC-1" not in plan.reply


def test_a_rejection_waits_for_its_reason_and_a_yes():
    plan, memory = plan_turn("reject DEC-1A2B3C4D5E6F", Memory(), NOW, DECIDER)
    assert not plan.steps and plan.reply.startswith("Why reject DEC-1A2B3C4D5E6F?")
    plan, memory = plan_turn("stock arrived this morning.", memory, NOW, DECIDER)
    assert plan.reply == "Reject DEC-1A2B3C4D5E6F because stock arrived this morning? yes/no"
    plan, memory = plan_turn("yes", memory, NOW, DECIDER)
    assert [(s.tool, s.args) for s in plan.steps] == [
        ("reject_decision", {"decision_id": "DEC-1A2B3C4D5E6F", "reason": "stock arrived this morning"})
    ]
    assert memory.pending is None
    plan, memory = plan_turn("approve it", memory, NOW, DECIDER)
    assert plan.reply == "Approve DEC-1A2B3C4D5E6F? yes/no"
    assert plan_turn("no", memory, NOW, DECIDER)[0].reply == "Cancelled; nothing was done."


def test_a_verdict_on_a_decision_the_caller_may_not_decide_runs_at_once_so_the_tool_refuses():
    def not_that_one(tool: str, args: dict) -> bool:
        return args.get("decision_id") != "DEC-1A2B3C4D5E6F"

    plan, memory = plan_turn("approve DEC-1A2B3C4D5E6F", Memory(), NOW, not_that_one)
    assert [(s.tool, s.args) for s in plan.steps] == [("approve_decision", {"decision_id": "DEC-1A2B3C4D5E6F"})]
    assert memory.pending is None
    assert plan_turn("approve DEC-AAAAAAAAAAAA", Memory(), NOW, not_that_one)[0].reply == (
        "Approve DEC-AAAAAAAAAAAA? yes/no"
    )


def test_an_override_needs_a_reason_and_says_what_changes():
    plan, memory = plan_turn("override DEC-1A2B3C4D5E6F: use CAR-PRAIRIE instead", Memory(), NOW, DECIDER)
    assert plan.reply == "Why override DEC-1A2B3C4D5E6F? The reason is stored with the decision."
    plan, _ = plan_turn("they have a truck at the dock", memory, NOW, DECIDER)
    assert plan.reply == ("Override DEC-1A2B3C4D5E6F with CAR-PRAIRIE because they have a truck at the dock? yes/no")


def test_a_role_that_may_not_act_is_refused_by_the_tool_at_once():
    plan, memory = plan_turn("SHP-009267 missed its delivery window", Memory(), NOW, DECIDER)
    assert [s.tool for s in plan.steps] == ["report_exception"] and memory.pending is None
    assert plan.steps[0].args == {
        "description": "SHP-009267 missed its delivery window",
        "type": "late_shipment",
        "shipment_id": "SHP-009267",
    }


def test_a_model_turn_remembers_the_reading_for_the_next_prompt():
    memory = remember_reading("how much SKU-0042 is in Dallas", Memory(), NOW)
    memory = remember_reading("and at Houston?", memory, NOW)
    assert (memory.query.filters.sku, memory.query.filters.dcs) == ("SKU-0042", ["DC-HOU"])
    prompt = remembered(memory)
    assert '"sku":"SKU-0042"' in prompt and "DC-HOU" in prompt


ARCHITECT = may("set_tradeoff")
VIEWER = may()


def test_a_trade_off_change_waits_for_a_yes_and_a_refused_one_runs_so_the_tool_says_why():
    plan, memory = plan_turn("favour on-time over cost for gold customers", Memory(), NOW, ARCHITECT)
    assert not plan.steps and plan.reply == (
        "Set the trade-off for gold customers on any lane: late penalties weighted 2 against freight "
        "(CO2 weight as it is)? yes/no"
    )
    assert memory.pending.args == {
        "tier": "gold",
        "on_time": 2.0,
        "reason": "favour on-time over cost for gold customers",
    }
    confirmed, memory = plan_turn("yes", memory, NOW, ARCHITECT)
    assert [(s.tool, s.args["on_time"]) for s in confirmed.steps] == [("set_tradeoff", 2.0)]
    assert memory.pending is None

    plan, _ = plan_turn("weight late penalties 3 for silver on DAL-HOU", Memory(), NOW, ARCHITECT)
    assert plan.reply.startswith("Set the trade-off for silver customers on DAL-HOU: late penalties weighted 3 ")
    for refused, can in (
        ("weight late penalties 3 for silver on DAL-HOU", VIEWER),
        ("weight CO2 12 for gold", ARCHITECT),
    ):
        plan, memory = plan_turn(refused, Memory(), NOW, can)
        assert [step.tool for step in plan.steps] == ["set_tradeoff"] and memory.pending is None


def test_the_trade_off_and_the_plans_are_asked_about():
    assert _calls("what is the current trade-off?")[0] == [("tradeoff", {"tier": None, "lane": None})]
    assert _calls("what is the trade-off for gold on DAL-HOU?")[0] == [
        ("tradeoff", {"tier": "gold", "lane": "DAL-HOU"})
    ]
    assert _calls("what is today's tender plan?")[0] == [
        ("plans", {"plan_type": "tender_plan", "day": date(2026, 11, 2)})
    ]
    calls, memory = _calls("show the maintenance plan")
    assert calls == [("plans", {"plan_type": "maintenance_plan", "day": date(2026, 11, 2)})]
    assert _calls("and tomorrow's tender plan?", memory)[0] == [
        ("plans", {"plan_type": "tender_plan", "day": date(2026, 11, 3)})
    ]


def test_a_weight_of_zero_is_a_weight():
    plan, memory = plan_turn("weight CO2 0 for gold", Memory(), NOW, ARCHITECT)
    assert memory.pending.args["co2"] == 0.0 and "CO2 weighted 0 against freight" in plan.reply
