"""The routing specialist sees what executed actions did to the twin, and never scores an overdue shipment below 1."""

from datetime import timedelta

import pytest

from agents import routing
from agents.proposal import PlanOption, compare_plans
from agents.schemas import Claim, Refs
from agents.verify import verify_claim
from tools.costs import Rates
from twin import store
from twin.actions import ExpediteShipment, ExpediteShipmentParams, NotifyCustomer
from twin.commands import apply
from twin.models import CustomerNotification, Shipment
from twin.seed import AS_OF
from twin.tradeoff import TradeOffScope


def _execute(toolbox, actions) -> None:
    """Carry out a proposal's actions on the twin, as the desk's execute step does."""
    with toolbox.session() as session:
        for item in actions:
            apply(session, item, "DEC-TEST", AS_OF)
        session.commit()


def test_an_expedited_shipment_is_scored_again_with_its_new_service(toolbox):
    first = routing.late_shipment(toolbox, Refs(shipment_id="SHP-009378"))
    assert [a.type for a in first.actions] == ["expedite_shipment"]  # told at P(late) 0.02, the customer saves 3 USD
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
    evidence = {record.id: record for record in again.evidence}
    rejected = Claim(text=f"Rejected notify customer: {notify.why_not}.", evidence_ids=[again.plan_evidence_id])
    assert verify_claim(rejected, evidence).ok  # the window is in the evidence the claim cites
    assert again.status == "no_action"
    assert (
        again.chosen.text == "Chosen: no action for SHP-009284: the customer was already notified at 2026-11-02 08:00."
    )


def test_every_other_carrier_with_capacity_left_is_a_switch_weighed_on_its_own_risk(toolbox):
    proposal = routing.late_shipment(toolbox, Refs(shipment_id="SHP-009279"))
    with toolbox.session() as session:
        shipment = session.get(Shipment, "SHP-009279")
        assert shipment is not None and shipment.carrier
        remaining = store.remaining_capacity(session, toolbox.now())
        others = {
            offer.carrier
            for offer in store.carrier_lanes(session, lane=shipment.lane)
            if offer.carrier != shipment.carrier and remaining.get(offer.carrier, 0) >= 1
        }
    assert len(others) >= 2
    switches = {a.name.removeprefix("switch to "): a for a in proposal.alternatives if a.name.startswith("switch to ")}
    assert set(switches) == others  # the notification won: every switch is a rejected alternative
    evidence = {record.id: record for record in proposal.evidence}
    for carrier, switch in switches.items():
        assert [item.params.to_carrier for item in switch.actions if item.type == "switch_carrier"] == [carrier]
        assert f"late-risk:SHP-009279:carrier={carrier}" in evidence  # its own what-if, cited
        rejected = Claim(text=f"Rejected {switch.name}: {switch.why_not}.", evidence_ids=[proposal.plan_evidence_id])
        assert verify_claim(rejected, evidence).ok


@pytest.mark.parametrize(("hours_ago", "told_again"), [(0.83, False), (25.0, True)])
def test_the_notify_window_runs_on_the_twin_clock(toolbox, hours_ago, told_again):
    with toolbox.session() as session:
        at = toolbox.now() - timedelta(hours=hours_ago)  # weeks before the wall clock: only the twin's clock tells
        session.add(CustomerNotification(shipment_id="SHP-009284", customer="CUST-0001", at=at, decision_id="DEC-T"))
        session.commit()
    proposal = routing.late_shipment(toolbox, Refs(shipment_id="SHP-009284"))
    assert any(isinstance(item, NotifyCustomer) for item in proposal.actions) == told_again
    if not told_again:
        assert proposal.chosen.text.endswith(f"the customer was already notified at {at:%Y-%m-%d %H:%M}.")
    by_id = {record.id: record for record in proposal.evidence}
    assert all(verify_claim(claim, by_id).ok for claim in [*proposal.findings, proposal.chosen])


def test_a_notification_is_bought_only_when_its_saving_beats_its_cost():
    notice = routing.Notice(
        price=Rates.of([]), tier="standard", already=False, shipment_id="SHP-000001", customer="CUST-0001"
    )
    assert notice.saving(0.5) == 30.0 and notice.pays(0.5)  # 0.5 x 300 x (1 - 0.8) against a 25 USD call
    assert notice.saving(0.4) == 24.0 and not notice.pays(0.4)
    option = notice.notify_option(0.4, None)
    assert not option.feasible
    assert option.infeasible_reason == "it saves 24.00 USD of expected penalty for a 25.00 USD call"
    told = notice.model_copy(update={"already": True})
    assert not told.pays(1.0) and told.notify_option(1.0, "2026-11-02 07:10").actions == []


def test_an_expedite_is_chosen_only_when_the_penalty_it_avoids_beats_its_cost():
    notice = routing.Notice(
        price=Rates.of([]), tier="standard", already=False, shipment_id="SHP-000001", customer="CUST-0001"
    )
    expedite = PlanOption(
        name="expedite final leg",
        actions=[ExpediteShipment(params=ExpediteShipmentParams(shipment_id="SHP-000001", cost_usd=200.0))],
    )
    costly = notice.recovery(expedite, 1.0, 0.5)  # told at 0.5 (saves 30 USD): avoids (1.0 - 0.5) x 300 x 0.8
    assert [item.type for item in costly.actions] == ["expedite_shipment", "notify_customer"]
    assert not costly.feasible and costly.infeasible_reason == "it avoids 120.00 USD of expected penalty for 200.00 USD"
    cheap = expedite.model_copy(update={"actions": [expedite.actions[0].model_copy(deep=True)]})
    cheap.actions[0].params.cost_usd = 150.0
    kept = notice.recovery(cheap, 1.0, 0.05)  # at P(late) 0.05 a call saves 3 USD: not bought
    assert kept.feasible and [item.type for item in kept.actions] == ["expedite_shipment"]
    assert kept.expected_penalty_usd == 15.0


def test_an_overdue_shipment_is_late_by_rule(toolbox):
    proposal = routing.late_shipment(toolbox, Refs(shipment_id="SHP-009267"))
    risk = next(r for r in proposal.evidence if r.id == "late-risk:SHP-009267")
    assert risk.facts["p_late"] == 1.0 and risk.source.model == "rule:overdue"
    assert risk.facts["model_p_late"] < 1.0
    assert any("by rule" in claim.text for claim in proposal.findings)


def test_the_trade_off_weighs_the_penalty_a_recovery_avoids():
    notice = routing.Notice(
        price=Rates.of([]), tier="standard", already=False, shipment_id="SHP-000001", customer="CUST-0001", weight=2.0
    )
    expedite = PlanOption(
        name="expedite final leg",
        actions=[ExpediteShipment(params=ExpediteShipmentParams(shipment_id="SHP-000001", cost_usd=200.0))],
    )
    weighed = notice.recovery(expedite, 1.0, 0.5)  # avoids 120 USD of penalty, worth 240 at weight 2: beats 200
    assert weighed.feasible and weighed.penalty_weight == 2.0
    assert weighed.objective_usd == 225.0 + 2 * 120.0  # expedite and call, plus the 120 USD penalty left, weighted
    nothing = PlanOption(name="no action", expected_penalty_usd=300.0, penalty_weight=2.0)
    chosen, alternatives, _plan = compare_plans("SHP-000001", [weighed, nothing], 0.5)
    assert chosen is weighed  # at face value no action (300) beats the expedite (345)
    assert alternatives[0].why_not == (
        "expected total 300.00 USD against 345.00 USD for expedite final leg; with expected penalties weighted 2 by "
        "the trade-off, 600.00 USD against 465.00 USD"
    )
    face_value = notice.model_copy(update={"weight": 1.0}).recovery(expedite, 1.0, 0.5)
    assert face_value.infeasible_reason == "it avoids 120.00 USD of expected penalty for 200.00 USD"
    low = notice.model_copy(update={"weight": 1.5}).recovery(expedite, 1.0, 0.5)
    assert (
        low.infeasible_reason
        == "it avoids 120.00 USD of expected penalty, weighted 1.5 by the trade-off, for 200.00 USD"
    )


@pytest.mark.parametrize(("scope", "expedited"), [(None, False), ("*=on_time:10", True)])
def test_a_late_shipment_decision_cites_and_applies_the_trade_off_in_force(toolbox, scope, expedited):
    if scope:
        with toolbox.session() as session:
            TradeOffScope.parse(scope).put_in_force(session, "late deliveries cost us customers", "architect")
            session.commit()
    proposal = routing.late_shipment(toolbox, Refs(shipment_id="SHP-009279"))  # notified only, at face value
    assert any(isinstance(item, ExpediteShipment) for item in proposal.actions) == expedited
    by_id = {record.id: record for record in proposal.evidence}
    cited = next(claim for claim in proposal.findings if claim.text.startswith("Trade-off in force"))
    assert ("late penalties weighted 10" in cited.text) == expedited
    options = by_id[proposal.plan_id()].facts["options"].values()
    assert {option.get("penalty_weight", 1.0) for option in options} == {10.0 if scope else 1.0}
    assert all(verify_claim(claim, by_id).ok for claim in [*proposal.findings, proposal.chosen])
    rejected = [
        Claim(text=f"Rejected {alt.name}: {alt.why_not}.", evidence_ids=[proposal.plan_id()])
        for alt in proposal.alternatives
    ]
    assert all(verify_claim(claim, by_id).ok for claim in rejected)
