"""The routing specialist sees what executed actions did to the twin, and never scores an overdue shipment below 1."""

from agents import routing
from agents.schemas import Refs
from twin.actions import ExpediteShipment, NotifyCustomer
from twin.commands import apply
from twin.seed import AS_OF


def _execute(toolbox, actions) -> None:
    """Carry out a proposal's actions on the twin, as the desk's execute step does."""
    with toolbox.session() as session:
        for item in actions:
            apply(session, item, "DEC-TEST", AS_OF)
        session.commit()


def test_an_expedited_shipment_is_scored_again_with_its_new_service(toolbox):
    first = routing.late_shipment(toolbox, Refs(shipment_id="SHP-009378"))
    assert [a.type for a in first.actions] == ["expedite_shipment", "notify_customer"]
    before = next(r for r in first.evidence if r.id == "late-risk:SHP-009378").facts["p_late"]
    predicted = next(r for r in first.evidence if r.id == "late-risk:SHP-009378:expedited").facts["p_late"]
    _execute(toolbox, first.actions)

    again = routing.late_shipment(toolbox, Refs(shipment_id="SHP-009378"))
    now = next(r for r in again.evidence if r.id == "late-risk:SHP-009378").facts["p_late"]
    assert now == predicted < before
    assert not any(isinstance(item, ExpediteShipment) for item in again.actions)
    expedite = next(a for a in again.alternatives if a.name == "expedite final leg")
    assert expedite.why_not == "SHP-009378 is already expedited"


def test_a_customer_is_not_notified_twice_within_the_window(toolbox):
    first = routing.late_shipment(toolbox, Refs(shipment_id="SHP-009284"))
    assert [a.type for a in first.actions] == ["notify_customer"]
    _execute(toolbox, first.actions)

    again = routing.late_shipment(toolbox, Refs(shipment_id="SHP-009284"))
    assert not any(isinstance(item, NotifyCustomer) for item in again.actions)
    for alternative in again.alternatives:
        assert not any(isinstance(item, NotifyCustomer) for item in alternative.actions)
    notify = next(a for a in again.alternatives if a.name == "notify customer")
    assert "within the 24-hour window" in notify.why_not


def test_an_overdue_shipment_is_late_by_rule(toolbox):
    proposal = routing.late_shipment(toolbox, Refs(shipment_id="SHP-009267"))
    risk = next(r for r in proposal.evidence if r.id == "late-risk:SHP-009267")
    assert risk.facts["p_late"] == 1.0 and risk.source.model == "rule:overdue"
    assert risk.facts["model_p_late"] < 1.0
    assert any("by rule" in claim.text for claim in proposal.findings)


def test_a_capacity_cut_without_a_figure_is_a_stated_assumption(toolbox):
    proposal = routing.carrier_capacity(toolbox, Refs(carrier="CAR-REDRIVER"))
    assumption = next(r for r in proposal.evidence if r.id == "assumption:capacity_cut:CAR-REDRIVER")
    assert assumption.facts["assumed"] and assumption.facts["capacity_cut_pct"] == 100.0
    assert "is assumed to lose 100%" in proposal.findings[0].text
    assert proposal.expected_impact.cost_usd == round(sum(a.params.cost_usd for a in proposal.actions), 2)
    assert all(
        a.expected_impact.cost_usd == round(sum(x.params.cost_usd for x in a.actions), 2) for a in proposal.alternatives
    )
