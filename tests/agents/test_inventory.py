"""The inventory specialist on the reference network's storyline: SKU-0042 spikes and runs short at DC-DAL."""

import math
from datetime import timedelta

from agents import inventory
from agents.glossary import feature_words
from agents.proposal import Proposal
from agents.schemas import Refs
from agents.verify import verify_claim
from tools.evidence import Evidence, Source
from twin import models as m
from twin import store
from twin.actions import BookCarrier, ExpeditePurchase, PlacePurchaseOrder, RaiseSafetyStock, TransferStock
from twin.commands import apply
from twin.seed import AS_OF

STORYLINE = Refs(sku="SKU-0042", location="DC-DAL")


def _assert_verified(proposal: Proposal) -> None:
    """Every finding and the choice pass the verifier against the proposal's own evidence."""
    evidence = {record.id: record for record in proposal.evidence}
    for claim in [*proposal.findings, proposal.chosen]:
        check = verify_claim(claim, evidence)
        assert check.ok, (claim.text, check.unsupported, check.unknown_evidence_ids)
        assert len(claim.text.split()) <= 25, claim.text


def _cited(proposal: Proposal, tool: str) -> bool:
    """Whether some finding cites evidence of a tool."""
    tools = {record.id: record.source.tool for record in proposal.evidence}
    return any(tools.get(evidence_id) == tool for claim in proposal.findings for evidence_id in claim.evidence_ids)


def test_storyline_shortfall_buys_the_cheapest_cover_in_expectation(toolbox):
    proposal = inventory.stockout_risk(toolbox, STORYLINE)

    assert proposal.status == "proposed"
    totals = {alt.name: alt.expected_impact.expected_total_usd for alt in proposal.alternatives}
    chosen = proposal.expected_impact.expected_total_usd
    plans = {
        "no action",
        "regular order",
        "expedite the gap",
        "regular order and expedite the gap",
        "expedite purchase",
        "transfer stock",
        "transfer and regular order",
    }
    assert len(totals) == len(plans) - 1 and set(totals) < plans
    assert all(chosen <= total for total in totals.values())
    assert proposal.expected_impact.cost_usd == round(sum(a.params.cost_usd for a in proposal.actions), 2)
    expedited = sum(item.params.qty for item in proposal.actions if isinstance(item, ExpeditePurchase))
    need = next(r for r in proposal.evidence if r.id == proposal.plan_evidence_id).facts["need_units"]
    assert expedited < need / 2  # only the units needed before a regular order lands are expedited
    transfer = next(alt for alt in proposal.alternatives if alt.name == "transfer stock")
    [booking] = [item for item in transfer.actions if isinstance(item, BookCarrier)]  # routing completes the transfer
    assert booking.params.transfer_sku == "SKU-0042" and booking.params.cost_usd > 0
    models = {record.source.tool: record.source.version for record in proposal.evidence}
    assert models["forecast"] and models["safety_stock"] and models["allocation"]
    assert all("against" in a.why_not for a in proposal.alternatives)
    assert _cited(proposal, "forecast") and _cited(proposal, "twin") and _cited(proposal, "allocation")
    forecast = next(record for record in proposal.evidence if record.source.tool == "forecast")
    assert any(feature_words(forecast.drivers[0].feature) in claim.text for claim in proposal.findings)
    assert 0 <= proposal.confidence <= 1
    _assert_verified(proposal)
    assert inventory.stockout_risk(toolbox, STORYLINE) == proposal


def _plan_facts(proposal: Proposal) -> dict:
    """The facts of the proposal's plan comparison."""
    return next(r for r in proposal.evidence if r.id == proposal.plan_evidence_id).facts


def _set_stock(toolbox, on_hand: int) -> None:
    """SKU-0042 at DC-DAL holds `on_hand` units, none allocated or in transit (its reorder point is 65)."""
    with toolbox.session() as session:
        [position] = [p for p in store.positions(session, "SKU-0042") if p.location == "DC-DAL"]
        position.on_hand, position.allocated, position.in_transit = on_hand, 0, 0
        session.add(position)
        session.commit()


def _alternative(proposal: Proposal, name: str):
    """The alternative plan of that name."""
    return next(alt for alt in proposal.alternatives if alt.name == name)


def test_when_tonights_review_orders_nothing_the_days_until_the_next_one_are_covered(toolbox):
    _set_stock(toolbox, 100)  # above the reorder point after today's demand, short before tomorrow's order lands

    proposal = inventory.stockout_risk(toolbox, STORYLINE)

    assert proposal.status == "proposed" and [item.type for item in proposal.actions] == ["expedite_purchase"]
    chosen = proposal.expected_impact.expected_total_usd
    idle, regular = _alternative(proposal, "no action"), _alternative(proposal, "regular order")
    assert chosen < regular.expected_impact.expected_total_usd < idle.expected_impact.expected_total_usd
    [expedited] = proposal.actions
    assert expedited.params.qty < sum(item.params.qty for item in regular.actions) / 10  # only the gap is expedited
    assert f"Expediting pays for {expedited.params.qty:.0f} units, landing in 1 day: one more would avoid" in " ".join(
        claim.text for claim in proposal.findings
    )
    assert _plan_facts(proposal)["review_order_units"] == 0
    assert "Tonight's reorder review orders nothing: stock stays above the reorder point of 65." in [
        claim.text for claim in proposal.findings
    ]
    _assert_verified(proposal)


def test_the_expedited_gap_is_the_cheapest_size_in_expectation(toolbox):
    twin = inventory._read(toolbox, STORYLINE)
    case = inventory._stock_case(toolbox, twin)
    stock, need = inventory._stock_now(twin, case.target), math.ceil(case.target.need)
    gap = inventory._paying_gap(twin, case.forecast, stock, need)
    [alone, _] = inventory._gap_options(twin, case.forecast, stock, need, gap.units)
    assert [item.params.qty for item in alone.actions] == [gap.units]

    def total(units: float) -> float:
        """The expected total of expediting `units` alone."""
        plan = inventory._order_option(twin, case.forecast, stock, "gap", [(round(units), True)])
        return plan.expected_total_usd

    units = gap.units
    assert 0 < units < need / 2 and not gap.review_bound and gap.next_avoided_usd < gap.next_usd
    assert total(units) == alone.expected_total_usd
    assert total(units - 1) >= total(units) <= total(units + 1)
    assert total(units) < min(total(units / 2), total(2 * units), total(need))  # and not only against its neighbours
    plan = Evidence(id="plan", source=Source(tool="plan", model="test", version="1"))
    texts = [
        inventory._gap_claim(twin, gap.model_copy(update=change), plan).text
        for change in ({"units": 1, "review_bound": True}, {"units": 0, "review_bound": True})
    ]
    assert texts == [
        "Expediting pays for 1 unit, landing in 1 day; more would lift the stock above the reorder point and cancel "
        "tonight's review order.",
        "No unit is expedited: one would lift the stock above the reorder point and cancel tonight's review order.",
    ]


def test_a_regular_order_adds_nothing_when_tonights_review_orders_anyway(toolbox):
    _set_stock(toolbox, 90)  # at the reorder point after today's demand: the review orders up tonight

    proposal = inventory.stockout_risk(toolbox, STORYLINE)

    assert proposal.status == "no_action" and proposal.actions == []
    facts = _plan_facts(proposal)
    assert facts["review_order_units"] > 0
    regular = _alternative(proposal, "regular order")
    assert regular.expected_impact.expected_penalty_usd == proposal.expected_impact.expected_penalty_usd
    assert _alternative(proposal, "expedite the gap").why_not == inventory.NO_GAP
    assert any(
        claim.text.startswith("No unit is worth expediting: the first would avoid") for claim in proposal.findings
    )
    assert regular.expected_impact.cost_usd > 0
    landing = f"Tonight's reorder review orders {facts['review_order_units']} units, landing in 3 days, in every plan."
    assert landing in [claim.text for claim in proposal.findings]
    _assert_verified(proposal)


def test_well_stocked_dc_needs_no_action(toolbox):
    proposal = inventory.stockout_risk(toolbox, Refs(sku="SKU-0042", location="DC-HOU"))

    assert proposal.status == "no_action"
    assert proposal.actions == [] and proposal.helpers == []
    assert {a.name for a in proposal.alternatives} == {"regular order", "transfer stock", "expedite purchase"}
    assert all(a.why_not == inventory.COVERED for a in proposal.alternatives)
    assert any("days" in claim.text for claim in proposal.findings)
    _assert_verified(proposal)


def test_unknown_or_missing_codes_need_information(toolbox):
    cases = [
        (Refs(sku="SKU-9999", location="DC-DAL"), ["sku"]),
        (Refs(location="DC-DAL"), ["sku"]),
        (Refs(sku="SKU-0042", location="DC-XXX"), ["location"]),
        (Refs(sku="SKU-0042", location="CUST-0001"), ["location"]),
    ]
    for refs, missing in cases:
        for specialist in (inventory.stockout_risk, inventory.demand_spike):
            proposal = specialist(toolbox, refs)
            assert (proposal.status, proposal.missing, proposal.actions) == ("needs_info", missing, [])
            assert "is not in the twin" in proposal.chosen.text


def test_storyline_spike_is_confirmed_and_raises_stock_parameters(toolbox):
    proposal = inventory.demand_spike(toolbox, STORYLINE)

    assert proposal.status == "proposed"
    types = [a.type for a in proposal.actions]
    assert types == ["raise_safety_stock", "expedite_purchase"]
    [raised] = [item.params for item in proposal.actions if isinstance(item, RaiseSafetyStock)]
    new = next(r for r in proposal.evidence if r.id == "reorder_point:SKU-0042/DC-DAL:2026-11-01")
    old = next(r for r in proposal.evidence if r.id == "reorder_point:SKU-0042/DC-DAL:2026-10-29")
    assert abs(raised.safety_stock - new.facts["safety_stock_units"]) < 1
    assert abs(raised.reorder_point - new.facts["reorder_point_units"]) < 1
    assert new.facts["safety_stock_units"] > old.facts["safety_stock_units"]
    assert raised.reorder_point >= old.facts["reorder_point_units"]
    plan = next(r for r in proposal.evidence if r.id == proposal.plan_evidence_id)
    assert plan.facts["spike_confirmed"] and plan.facts["days_above_p90"] == inventory.SPIKE_DAYS
    assert "above the forecast p90" in proposal.findings[0].text
    _assert_verified(proposal)


def test_quiet_series_is_no_spike(toolbox):
    proposal = inventory.demand_spike(toolbox, Refs(sku="SKU-0001", location="DC-ATL"))

    assert proposal.status == "no_action" and proposal.actions == []
    assert "raise safety stock" in [a.name for a in proposal.alternatives]
    assert "at or below the forecast p90" in proposal.findings[0].text
    assert any("nothing is short" in claim.text for claim in proposal.findings)  # the stock was read
    plan = next(r for r in proposal.evidence if r.id == proposal.plan_evidence_id)
    assert plan.facts["spike_confirmed"] is False
    _assert_verified(proposal)


def test_a_spike_never_lowers_the_stored_reorder_point(toolbox):
    with toolbox.session() as session:
        [position] = [p for p in store.positions(session, "SKU-0042") if p.location == "DC-DAL"]
        position.safety_stock, position.reorder_point = 900, 1000
        session.add(position)
        session.commit()

    proposal = inventory.demand_spike(toolbox, STORYLINE)

    [raised] = [item.params for item in proposal.actions if isinstance(item, RaiseSafetyStock)]
    assert (raised.safety_stock, raised.reorder_point) == (900, 1000)
    rule = next(r for r in proposal.evidence if r.id.startswith("rule:spike_levels:"))
    assert rule.facts["reorder_point"] == 1000


def test_stock_in_transit_serves_demand_only_from_the_day_it_lands(toolbox):
    with toolbox.session() as session:
        [position] = [p for p in store.positions(session, "SKU-0042") if p.location == "DC-DAL"]
        position.on_hand, position.allocated, position.in_transit = 2, 0, 400  # no known landing: counted as today
        session.add(position)
        session.commit()
    unscheduled = inventory.stockout_risk(toolbox, STORYLINE)
    with toolbox.session() as session:
        session.add(
            m.PurchaseOrder(
                id="PO-LANDS-LATER",
                sku="SKU-0042",
                location="DC-DAL",
                qty=400,
                service="regular",
                cost_usd=0.0,
                created_at=AS_OF,
                arrives_on=AS_OF.date() + timedelta(days=3),
            )
        )
        session.commit()

    scheduled = inventory.stockout_risk(toolbox, STORYLINE)

    assert _plan_facts(unscheduled)["expected_lost_units"] < 1, "400 units today last until replenishment lands"
    facts = _plan_facts(scheduled)
    assert facts["expected_lost_units"] > 10, "2 units on hand cannot serve three days of demand before 400 land"
    assert facts["stock_units"] == 2 and facts["inbound"] == [{"in_days": 3, "units": 400.0}]
    assert any(claim.text == "Landing on top of it: 400 units in 3 days." for claim in scheduled.findings)
    _assert_verified(scheduled)


def test_stock_ordered_counts_toward_the_next_shortfall(toolbox):
    first = inventory.stockout_risk(toolbox, STORYLINE)
    need = next(r for r in first.evidence if r.id == first.plan_evidence_id).facts["need_units"]
    moved = sum(item.params.qty for item in first.actions if isinstance(item, ExpeditePurchase | PlacePurchaseOrder))
    with toolbox.session() as session:
        for item in first.actions:
            apply(session, item, "DEC-TEST", AS_OF)
        session.commit()

    again = inventory.stockout_risk(toolbox, STORYLINE)
    facts = next(r for r in again.evidence if r.id == again.plan_evidence_id).facts
    assert abs(facts["need_units"] - (need - moved)) < 1
    position = next(r for r in again.evidence if r.id == "twin:inventory:SKU-0042@DC-DAL").facts
    assert position["in_transit"] >= moved


def test_an_unconfirmed_spike_on_a_short_position_reads_the_stock_and_prices_its_cover(toolbox):
    proposal = inventory.demand_spike(toolbox, Refs(sku="SKU-0048", location="DC-LAX"))

    plan = next(r for r in proposal.evidence if r.id == proposal.plan_evidence_id)
    assert plan.facts["spike_confirmed"] is False and plan.facts["need_units"] > 0
    assert not any(isinstance(item, RaiseSafetyStock) for item in proposal.actions)
    priced = {alt.name for alt in proposal.alternatives if alt.why_not.startswith("expected total")}
    covers = {"regular order", "transfer stock", "expedite purchase"}
    assert covers <= priced | {name for name in covers if plan.facts["chosen"].endswith(name)}
    read = next(claim for claim in proposal.findings if claim.text.startswith("Before judging the spike"))
    assert "on hand" in read.text and "in transit" in read.text and "open orders" in read.text
    assert "twin:orders_due:SKU-0048@DC-LAX" in read.evidence_ids
    _assert_verified(proposal)


def test_the_transfer_claim_names_exactly_the_moves_that_run(toolbox):
    proposal = inventory.stockout_risk(toolbox, Refs(sku="SKU-0048", location="DC-LAX"))

    allocation = next(r for r in proposal.evidence if r.source.tool == "allocation")
    dropped = {move["origin"] for move in allocation.facts["moves"] if round(move["qty"]) == 0}
    assert dropped, "the allocation holds a move that rounds to no unit"
    plans = [proposal.actions, *(alternative.actions for alternative in proposal.alternatives)]
    moves = next(found for found in ([i.params for i in p if isinstance(i, TransferStock)] for p in plans) if found)
    [claim] = [claim for claim in proposal.findings if ", in units:" in claim.text]
    for move in moves:
        assert f"{move.qty:g} from {move.from_}" in claim.text
    assert not any(origin in claim.text for origin in dropped)
    _assert_verified(proposal)
