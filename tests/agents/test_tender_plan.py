"""scratch"""

from datetime import timedelta

from agents import tender_plan
from tools.tenders import TradeOff
from twin.seed import AS_OF


def test_the_plan_for_tomorrow(toolbox):
    for w in (1, 1.5, 2, 3, 5):
        proposal = tender_plan.plan_day(toolbox, (AS_OF + timedelta(days=1)).date(), TradeOff(on_time=w))
        print(w, proposal.findings[1].text)
    print(proposal.findings[0].text)
