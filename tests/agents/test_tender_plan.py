"""The routing specialist's tender plan for a day: every claim backed by its evidence, the plan's cost adding up,
a heavier on-time weight never planning more late loads, and on-time probabilities told apart per customer tier."""

from datetime import timedelta

import pytest

from agents import tender_plan
from agents.verify import verify_claim
from tools.tenders import TradeOff
from twin.seed import AS_OF


def test_the_plan_for_tomorrow_is_backed_and_priced(toolbox):
    day = (AS_OF + timedelta(days=1)).date()
    proposal = tender_plan.plan_day(toolbox, day)
    assert proposal.status == "proposed" and proposal.chosen.text == f"Chosen: tender plan for {day}."
    [plan] = proposal.actions
    assert plan.params.day == day and plan.params.allocations
    evidence = {record.id: record for record in proposal.evidence}
    for claim in [*proposal.findings, proposal.chosen]:
        assert verify_claim(claim, evidence).ok, claim.text
    names = [alternative.name for alternative in proposal.alternatives]
    assert names == ["no action", "cheapest carrier per lane", "most punctual carrier per lane"]
    idle = proposal.alternatives[0].expected_impact
    assert proposal.expected_impact.expected_total_usd <= idle.expected_total_usd
    assert proposal.expected_impact.cost_usd == plan.params.cost_usd >= 0

    heavier = tender_plan.plan_day(toolbox, day, TradeOff(on_time=4.0))
    late = proposal.expected_impact.model_dump()["expected_late_loads"]
    assert heavier.expected_impact.model_dump()["expected_late_loads"] <= late


def test_a_tier_with_tighter_promises_is_priced_less_punctual_on_every_carrier():
    lane_rates = {("CAR-A", "L0"): 0.9, ("CAR-B", "L0"): 0.7, ("CAR-A", "L9"): 0.8}
    counts = {("L0", "gold"): (100, 60), ("L0", "silver"): (100, 80), ("L0", "standard"): (200, 180)}  # on time 0.8
    by_tier = tender_plan.tier_on_time(lane_rates, counts)
    assert ("CAR-A", "L9") not in by_tier  # no delivery on the lane: its offers keep the lane rate
    for carrier in ("CAR-A", "CAR-B"):
        tiers = by_tier[carrier, "L0"]
        assert tiers["gold"] < tiers["silver"] < tiers["standard"]
        assert tiers["silver"] == lane_rates[carrier, "L0"]  # the lane's silver deliveries fare as the lane's
    for tier in tender_plan.TIERS:
        assert by_tier["CAR-A", "L0"][tier] > by_tier["CAR-B", "L0"][tier]


def test_a_tier_seen_often_moves_the_lane_rate_by_its_own_log_odds():
    counts = {("L0", "gold"): (4000, 2000), ("L0", "standard"): (4000, 4000 * 9 // 10)}  # lane on time 0.7
    by_tier = tender_plan.tier_on_time({("CAR-A", "L0"): 0.7, ("CAR-B", "L0"): 0.9}, counts)
    assert by_tier["CAR-A", "L0"]["gold"] == pytest.approx(0.5, abs=0.005)
    assert by_tier["CAR-A", "L0"]["standard"] == pytest.approx(0.9, abs=0.005)
    # 0.9 is 9:1; gold halves the lane's odds of 7:3 to 1:1, so 9:1 becomes 27:7
    assert by_tier["CAR-B", "L0"]["gold"] == pytest.approx(27 / 34, abs=0.005)
