"""The routing specialist's tender plan for a day: every claim backed by its evidence, the plan's cost adding up,
and a heavier on-time weight never planning more late loads."""

from datetime import timedelta

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
