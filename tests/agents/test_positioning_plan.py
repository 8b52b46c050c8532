"""The inventory specialist's positioning plan on the seeded twin: every transfer pays and keeps its source above its
safety stock, every sentence is backed by its evidence, and the executed plan opens the transfers in the twin, whose
positions the next plan of the day leaves alone."""

from datetime import timedelta

from sqlmodel import select

from agents import positioning_plan
from agents.schemas import ExceptionIn
from agents.verify import verify_claim
from evals.soundness import violations
from graph.state import Verdict
from twin import models as m
from twin.actions import SetReorderPoint, TransferStock
from twin.seed import AS_OF

TODAY = AS_OF.date()


def test_the_plan_moves_stock_that_pays_and_never_below_a_sources_safety_stock(toolbox):
    proposal = positioning_plan.plan_positions(toolbox, TODAY)
    assert proposal.status == "proposed"
    assert [alt.name for alt in proposal.alternatives] == [
        "no action",
        "cover every shortfall (transfers that do not pay too)",
        "transfers only (reorder points kept)",
    ]
    [plan] = [record for record in proposal.evidence if record.source.tool == "positioning"]
    sites = {(s["sku"], s["dc"]): s for s in plan.inputs["sites"]}
    moves = plan.facts["totals"]["moves"]
    transfers = [action.params for action in proposal.actions if isinstance(action, TransferStock)]
    assert transfers and len(transfers) == len(moves)
    for move, transfer in zip(moves, transfers, strict=True):
        assert move["avoided_usd"] > move["cost_usd"] == transfer.cost_usd
        assert (transfer.sku, transfer.from_, transfer.to, transfer.qty) == (
            move["sku"],
            move["origin"],
            move["dest"],
            move["qty"],
        )
        source = sites[move["sku"], move["origin"]]
        assert source["on_hand"] - transfer.qty >= source["safety_stock"]
    evidence = {record.id: record for record in proposal.evidence}
    for claim in [*proposal.findings, proposal.chosen]:
        assert verify_claim(claim, evidence).ok, claim.text


def test_the_plan_moves_a_reorder_point_to_the_forecasts_only_when_it_pays(toolbox):
    proposal = positioning_plan.plan_positions(toolbox, TODAY)

    [plan] = [record for record in proposal.evidence if record.source.tool == "positioning"]
    sites = {(s["sku"], s["dc"]): s for s in plan.inputs["sites"]}
    levels = plan.facts["totals"]["levels"]
    points = [action.params for action in proposal.actions if isinstance(action, SetReorderPoint)]
    assert points and len(points) == len(levels)
    with toolbox.session() as session:
        stored = {(p.sku, p.location): p.reorder_point for p in session.exec(select(m.InventoryPosition)).all()}
    for level, point in zip(levels, points, strict=True):
        site = sites[level["sku"], level["dc"]]
        assert (point.sku, point.location) == (level["sku"], level["dc"])
        assert point.before == level["before"] == stored[point.sku, point.location] == site["reorder_point"]
        assert point.reorder_point == level["after"] == round(site["reorder_target"])
        if level["after"] > level["before"]:
            assert level["avoided_usd"] > level["holding_usd"] == point.cost_usd > 0
        else:
            assert level["avoided_usd"] >= 0 and point.cost_usd == 0
    kept = next(alt for alt in proposal.alternatives if alt.name == "transfers only (reorder points kept)")
    assert proposal.expected_impact.expected_total_usd < kept.expected_impact.expected_total_usd


def test_a_plan_for_another_day_asks_for_today(toolbox):
    proposal = positioning_plan.plan_positions(toolbox, TODAY + timedelta(days=1))
    assert proposal.status == "needs_info" and proposal.missing == ["day"] and not proposal.actions


def test_an_executed_plan_opens_its_transfers_in_the_twin(desk):
    decision = desk.submit(
        ExceptionIn(type="positioning_plan", refs={"day": TODAY.isoformat()}, source="planner"), actor="planner"
    )
    assert decision.specialist == "inventory" and not violations(decision, AS_OF)
    if decision.status == "pending_approval":
        decision = desk.resume(decision.decision_id, Verdict(verdict="approve", actor="planner-1"))
    assert decision.status == "executed"
    transfers = [action.params for action in decision.actions if isinstance(action, TransferStock)]
    with desk.toolbox.session() as session:
        orders = session.exec(select(m.TransferOrder).where(m.TransferOrder.decision_id == decision.decision_id)).all()
        assert sorted((o.sku, o.origin, o.destination, o.qty, o.cost_usd) for o in orders) == sorted(
            (t.sku, t.from_, t.to, t.qty, t.cost_usd) for t in transfers
        )
        for order, transfer in zip(
            sorted(orders, key=lambda o: (o.sku, o.origin, o.destination)),
            sorted(transfers, key=lambda t: (t.sku, t.from_, t.to)),
            strict=True,
        ):
            assert order.arrives_on == TODAY + timedelta(days=transfer.lead_days)
            [into] = session.exec(
                select(m.InventoryPosition).where(
                    m.InventoryPosition.sku == order.sku, m.InventoryPosition.location == order.destination
                )
            ).all()
            assert into.in_transit >= order.qty
        for point in (action.params for action in decision.actions if isinstance(action, SetReorderPoint)):
            [position] = session.exec(
                select(m.InventoryPosition).where(
                    m.InventoryPosition.sku == point.sku, m.InventoryPosition.location == point.location
                )
            ).all()
            assert position.reorder_point == point.reorder_point
    again = positioning_plan.plan_positions(desk.toolbox, TODAY)  # the transfers ordered today own their positions
    fed = {(t.sku, t.to) for t in transfers}
    assert not fed & {(x.params.sku, x.params.to) for x in again.actions if isinstance(x, TransferStock)}
