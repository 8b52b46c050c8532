"""The tender plan gives every expected carrier load of a day to a carrier within capacity, at the least expected
freight and late penalties, and beats the usual draw."""

from datetime import timedelta

from agents import tender_plan
from tools.tenders import TradeOff
from twin.seed import AS_OF


def test_the_plan_for_tomorrow(toolbox):
    proposal = tender_plan.plan_day(toolbox, (AS_OF + timedelta(days=1)).date())
    print(proposal.chosen.text)
    for claim in proposal.findings:
        print(claim.text)
    for alt in proposal.alternatives:
        print(alt.name, alt.why_not, alt.expected_impact)
    print(proposal.expected_impact, proposal.confidence)
    print(proposal.actions[0].params.allocations[:10])
