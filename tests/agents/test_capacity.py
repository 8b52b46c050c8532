"""A carrier's capacity shortfall: with no cut stated, the whole weekly volume is re-tendered as a stated assumption."""

from agents import capacity
from agents.schemas import Refs


def test_a_capacity_cut_without_a_figure_is_a_stated_assumption(toolbox):
    proposal = capacity.carrier_capacity(toolbox, Refs(carrier="CAR-REDRIVER"))
    assumption = next(r for r in proposal.evidence if r.id == "assumption:capacity_cut:CAR-REDRIVER")
    assert assumption.facts["assumed"] and assumption.facts["capacity_cut_pct"] == 100.0
    assert "is assumed to lose 100%" in proposal.findings[0].text
    assert proposal.expected_impact.cost_usd == round(sum(a.params.cost_usd for a in proposal.actions), 2)
    assert all(
        a.expected_impact.cost_usd == round(sum(x.params.cost_usd for x in a.actions), 2) for a in proposal.alternatives
    )
