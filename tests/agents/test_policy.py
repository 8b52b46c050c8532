"""The policy gate: rules per cohort and their precedence, levels, shadow and off."""

import pytest
from pydantic import ValidationError

from agents.policy import Cohort, CohortLevel, PolicyRule, at_level, evaluate, rule_for, withheld
from twin.actions import ExpediteShipment, NotifyCustomer, PlanTenders

EXPEDITE = ExpediteShipment(params={"shipment_id": "SHP-009284", "cost_usd": 250.0})
NOTIFY = NotifyCustomer(params={"shipment_id": "SHP-009284", "cost_usd": 0.0})
LAX_HOU = Cohort(lane="LAX-HOU", site="DC-LAX", carrier="CAR-COASTAL")


def _rule(cohort: str, level: str) -> PolicyRule:
    """An expedite rule at a level in a cohort."""
    return at_level("expedite_shipment", cohort, level)


@pytest.mark.parametrize(
    ("cohorts", "winner"),
    [
        (["*", "LAX-*", "DC-LAX", "LAX-HOU", "CAR-COASTAL"], "LAX-HOU"),  # exact codes: lane before site and carrier
        (["*", "LAX-*", "DC-LAX", "CAR-COASTAL"], "DC-LAX"),  # an exact code before any pattern
        (["*", "LAX-*", "CAR-*"], "LAX-*"),  # as many literal characters: lane before carrier
        (["*", "LAX-*", "CAR-COAST*"], "CAR-COAST*"),  # more literal characters first
        (["*", "DAL-*", "*-HOU"], "*-HOU"),  # a pattern that does not match is never chosen
        (["DAL-*", "*"], "*"),
    ],
)
def test_the_most_specific_matching_cohort_wins(cohorts, winner):
    stored = [_rule(cohort, "act") for cohort in cohorts]
    assert rule_for(EXPEDITE, LAX_HOU, stored).cohort == winner
    assert rule_for(EXPEDITE, LAX_HOU, list(reversed(stored))).cohort == winner  # order of storage does not matter


def test_no_matching_rule_falls_back_to_approval_and_plans_take_only_star_rules():
    fallback = rule_for(EXPEDITE, LAX_HOU, [_rule("DAL-*", "act")])
    assert (fallback.cohort, fallback.level, fallback.autonomy_level) == ("*", "recommend", 2)
    plan = PlanTenders(
        params={
            "day": "2026-11-03",
            "allocations": [{"lane": "LAX-HOU", "tier": "gold", "carrier": "CAR-COASTAL", "loads": 1}],
        }
    )
    rules = [at_level("plan_tenders", "LAX-*", "shadow"), at_level("plan_tenders", "*", "act")]
    assert rule_for(plan, Cohort(), rules).cohort == "*"


def test_shadow_records_what_the_gate_would_have_done_and_executes_nothing():
    acting = evaluate([_rule("*", "act")], [EXPEDITE], [LAX_HOU], 250.0, 0.9)
    assert (acting.level, acting.requires_approval, acting.would_have) == ("act", False, None)
    shadow = evaluate([_rule("*", "act"), _rule("LAX-*", "shadow")], [EXPEDITE], [LAX_HOU], 250.0, 0.9)
    assert (shadow.level, shadow.requires_approval, shadow.would_have) == ("shadow", False, "executed")
    dear = evaluate([_rule("LAX-*", "shadow")], [EXPEDITE], [LAX_HOU], 5000.0, 0.9)
    assert dear.would_have == "pending_approval" and any("above the bound" in reason for reason in dear.reasons)
    other_lane = Cohort(lane="DAL-HOU", site="DC-DAL", carrier="CAR-REDRIVER")
    assert evaluate([_rule("*", "act"), _rule("LAX-*", "shadow")], [EXPEDITE], [other_lane], 250.0, 0.9).level == "act"


def test_one_shadowed_action_shadows_the_whole_plan_and_recommend_asks():
    rules = [_rule("*", "recommend"), at_level("notify_customer", "*", "shadow")]
    verdict = evaluate(rules, [EXPEDITE, NOTIFY], [LAX_HOU, LAX_HOU], 250.0, 0.9)
    assert verdict.level == "shadow" and verdict.would_have == "pending_approval"
    asked = evaluate([_rule("LAX-HOU", "recommend")], [EXPEDITE], [LAX_HOU], 1.0, 0.99)
    assert asked.requires_approval and asked.level == "recommend"


def test_off_withholds_only_the_action_types_off_in_their_cohort():
    rules = [_rule("LAX-*", "off"), at_level("notify_customer", "*", "act")]
    assert list(withheld(rules, [NOTIFY, EXPEDITE], [LAX_HOU, LAX_HOU])) == [1]
    assert withheld(rules, [EXPEDITE], [Cohort(lane="DAL-HOU")]) == {}


def test_level_and_autonomy_level_are_read_from_each_other_and_must_agree():
    assert PolicyRule(action_type="book_spot", autonomy_level=2).level == "recommend"
    assert PolicyRule(action_type="book_spot", autonomy_level=4).level == "act"
    assert PolicyRule(action_type="book_spot", level="act").autonomy_level == 3
    assert PolicyRule(action_type="book_spot", level="shadow", autonomy_level=2).level == "shadow"
    with pytest.raises(ValidationError) as mismatch:
        PolicyRule(action_type="book_spot", level="recommend", autonomy_level=4)
    assert [error["loc"] for error in mismatch.value.errors()] == [("level",)]
    with pytest.raises(ValidationError) as unknown:
        PolicyRule(action_type="book_spot", level="sometimes")
    assert ("level",) in [error["loc"] for error in unknown.value.errors()]


@pytest.mark.parametrize("pattern", ["dal-*", "DAL HOU", "DAL-?", "", "DAL--HOU", "-*", "X" * 65])
def test_bad_cohort_patterns_are_refused_by_name(pattern):
    with pytest.raises(ValidationError) as bad:
        PolicyRule(action_type="book_spot", autonomy_level=2, cohort=pattern)
    assert [error["loc"] for error in bad.value.errors()] == [("cohort",)]


def test_cohort_levels_parse_and_cover_every_action_type():
    parsed = CohortLevel.parse("DAL-*=act")
    assert (parsed.cohort, parsed.level) == ("DAL-*", "act")
    rules = CohortLevel.parse("*=shadow").rules()
    assert {rule.level for rule in rules} == {"shadow"} and len({rule.action_type for rule in rules}) == len(rules)
    switch = next(rule for rule in parsed.rules() if rule.action_type == "switch_carrier")
    assert (switch.level, switch.autonomy_level, switch.max_cost_usd) == ("act", 3, 2500.0)  # default bounds
    for text in ("DAL-*", "DAL-*=never", "dal-*=act"):
        with pytest.raises(ValueError, match=r"(?i)dal"):
            CohortLevel.parse(text)
