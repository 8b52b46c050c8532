"""Planning a turn: readings become tool calls, follow-ups reuse the thread, acts wait for a yes and a reason."""

from datetime import UTC, datetime

from chat.dialogue import Memory, plan_turn

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # a Monday
DECIDER = {"report_exception": False, "approve_decision": True, "reject_decision": True, "override_decision": True}


def test_relative_dates_and_directions_become_arguments():
    plan, _ = plan_turn("which shipments to Dallas are at risk tomorrow?", Memory(), NOW, DECIDER)
    assert (plan.tool, plan.args) == (
        "shipment_risks",
        {"origin": None, "destination": "DC-DAL", "top": 5, "due_by": "2026-11-04T00:00:00+00:00"},
    )
    plan, _ = plan_turn("what if Red River loses 30% of its capacity next week?", Memory(), NOW, DECIDER)
    assert plan.args == {"carrier": "CAR-REDRIVER", "lane": None, "capacity_cut_pct": 30.0, "week_of": "2026-11-09"}
    plan, _ = plan_turn("what happens if DC-HOU closes for two days?", Memory(), NOW, DECIDER)
    assert (plan.tool, plan.args) == ("what_if_closure", {"location": "DC-HOU", "days": 2, "first_day": "2026-11-02"})


def test_a_follow_up_changes_only_what_it_names():
    _, memory = plan_turn("compare CAR-SWIFTLINE and CAR-REDRIVER on DAL-HOU", Memory(), NOW, DECIDER)
    plan, memory = plan_turn("and on ATL-CHI?", memory, NOW, DECIDER)
    assert plan.args == {"carriers": ["CAR-SWIFTLINE", "CAR-REDRIVER"], "lane": "ATL-CHI"}
    plan, _ = plan_turn("how about metro", memory, NOW, DECIDER)
    assert plan.args == {"carriers": ["CAR-METRO"], "lane": "ATL-CHI"}


def test_a_rejection_waits_for_its_reason_and_a_yes():
    plan, memory = plan_turn("reject DEC-1A2B3C4D5E6F", Memory(), NOW, DECIDER)
    assert plan.tool is None and plan.reply.startswith("Why reject DEC-1A2B3C4D5E6F?")
    plan, memory = plan_turn("stock arrived this morning.", memory, NOW, DECIDER)
    assert plan.reply == "Reject DEC-1A2B3C4D5E6F because stock arrived this morning? yes/no"
    plan, memory = plan_turn("yes", memory, NOW, DECIDER)
    assert (plan.tool, plan.args) == (
        "reject_decision",
        {"decision_id": "DEC-1A2B3C4D5E6F", "reason": "stock arrived this morning"},
    )
    assert memory.pending is None
    plan, memory = plan_turn("approve it", memory, NOW, DECIDER)
    assert plan.reply == "Approve DEC-1A2B3C4D5E6F? yes/no"
    assert plan_turn("no", memory, NOW, DECIDER)[0].reply == "Cancelled; nothing was done."


def test_an_override_needs_a_reason_and_says_what_changes():
    plan, memory = plan_turn("override DEC-1A2B3C4D5E6F: use CAR-PRAIRIE instead", Memory(), NOW, DECIDER)
    assert plan.reply == "Why override DEC-1A2B3C4D5E6F? The reason is stored with the decision."
    plan, _ = plan_turn("they have a truck at the dock", memory, NOW, DECIDER)
    assert plan.reply == ("Override DEC-1A2B3C4D5E6F with CAR-PRAIRIE because they have a truck at the dock? yes/no")


def test_a_role_that_may_not_act_is_refused_by_the_tool_at_once():
    plan, memory = plan_turn("SHP-009267 missed its delivery window", Memory(), NOW, DECIDER)
    assert plan.tool == "report_exception" and memory.pending is None
    assert plan.args == {
        "description": "SHP-009267 missed its delivery window",
        "type": "late_shipment",
        "shipment_id": "SHP-009267",
    }
