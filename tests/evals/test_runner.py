"""Tests of the eval runner: pristine twin copies per case, relative policy bounds, errors kept as results."""

from sqlmodel import Session, select

from agents.policy import PolicyRule
from agents.schemas import Decision, Impact
from evals.cases import Case, PolicyOverride, load_cases
from evals.metrics import signature
from evals.runner import main, resolve
from twin import models as m
from twin.db import make_engine
from twin.settings import Settings

CASES = {case.id: case for case in load_cases()}


def test_a_relative_bound_is_set_from_the_probe_decision():
    probe = Decision(
        decision_id="DEC-1",
        exception_id="EXC-1",
        specialist="routing",
        status="executed",
        expected_impact=Impact(cost_usd=120.5),
        confidence=0.87,
        trace_id="EXC-1",
    )
    rule = PolicyRule(action_type="retender_loads", autonomy_level=3, max_cost_usd=0.0, min_confidence=0.0)
    cost = resolve(PolicyOverride(rule=rule, cost_margin_usd=-0.01), probe)
    assert (cost.max_cost_usd, cost.min_confidence) == (120.49, 0.0)
    assert resolve(PolicyOverride(rule=rule, confidence_margin=0.01), probe).min_confidence == 0.88
    assert resolve(PolicyOverride(rule=rule), None) == rule


def test_the_twin_codes_and_the_default_policies_come_from_the_template(harness):
    assert {"SKU-0042", "TRK-007", "SHP-009227", "DAL-HOU", "CUST-0001", "CAR-METRO", "DC-HOU"} <= harness.codes
    assert "SHP-999999" not in harness.codes
    engine = make_engine(f"sqlite:///{harness.template}")
    with Session(engine) as session:
        assert session.exec(select(m.Policy).where(m.Policy.action_type == "transfer_stock")).first()
    engine.dispose()


def stock_on_hand(harness) -> dict[str, int]:
    """SKU-0042 on hand per DC in the harness's template, after checking that it holds no decision or transfer."""
    engine = make_engine(f"sqlite:///{harness.template}")
    with Session(engine) as session:
        assert session.exec(select(m.TransferOrder)).first() is None
        assert session.exec(select(m.DecisionRecord)).first() is None
        held = {
            p.location: p.on_hand
            for p in session.exec(select(m.InventoryPosition).where(m.InventoryPosition.sku == "SKU-0042"))
        }
    engine.dispose()
    return held


def test_each_case_runs_on_a_pristine_copy_and_leaves_no_precedent(harness):
    before = stock_on_hand(harness)
    first, second = (harness.run_case(CASES["stock-stockout-SKU-0042-DC-DAL"]) for _ in range(2))
    assert first.decision.status == "pending_approval"  # its expedited order waits for a planner
    assert [action.type for action in first.decision.actions] == ["expedite_purchase"]  # the gap alone
    assert signature(first.decision) == signature(second.decision)
    assert first.decision.actions == second.decision.actions
    assert first.counterfactual is not None and first.counterfactual.status == "no_action"
    assert stock_on_hand(harness) == before
    assert harness.knowledge.precedents.count() == 0


def test_a_bound_just_under_the_cost_asks_for_approval(harness):
    run = harness.run_case(CASES["policy-CAR-REDRIVER-25-cost-over"])
    cost = run.decision.expected_impact.cost_usd
    assert run.decision.status == "pending_approval"
    assert any(f"above the bound {cost - 0.01:,.2f} USD" in reason for reason in run.decision.policy.reasons)
    assert run.policy_expected.requires_approval


def test_an_error_in_a_case_is_recorded_not_raised(harness):
    broken = Case.model_validate(
        {
            **CASES["capacity-CAR-METRO-25"].model_dump(),
            "counterfactual": {
                "edit": {"kind": "shift_promise", "target": "SHP-999999", "amount": 1},
                "changes": "decision",
            },
        }
    )
    run = harness.run_case(broken)
    assert run.decision is not None and run.counterfactual is None
    assert run.error == "counterfactual: ValueError: twin edit names unknown shipment SHP-999999"


def test_the_command_refuses_unknown_suites_and_untrained_models(tmp_path, capsys):
    assert main(Settings(data_dir=tmp_path), ["nope"], False, None) == 2
    assert "unknown suite nope" in capsys.readouterr().err
    assert main(Settings(data_dir=tmp_path), ["carriers"], False, None) == 2
    assert "yardmaster train" in capsys.readouterr().err
