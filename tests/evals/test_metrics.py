"""Tests of the eval metrics on hand-made decisions and justifications with known verdicts."""

import pytest
from pydantic import ValidationError

from agents.schemas import Alternative, Claim, Decision, ExceptionIn, Impact, Justification, PolicyVerdict
from evals.cases import Case, Counterfactual, Expect, TwinEdit
from evals.metrics import (
    GATES,
    CaseRun,
    action_validity,
    claims_kept,
    completeness,
    completeness_gaps,
    counterfactual_sensitivity,
    driver_coverage,
    faithfulness,
    policy_correctness,
    readability_metric,
    robustness,
    routing_accuracy,
    score,
    unknown_codes,
)
from tools.evidence import Driver, Evidence, Source
from twin import actions as a
from twin.actions import parse_action

CODES = frozenset({"SHP-000123", "CUST-0007", "CAR-METRO", "CAR-REDRIVER", "DAL-HOU", "DC-DAL"})
SHIPMENT = Evidence(
    id="twin:shipment:SHP-000123",
    source=Source(tool="twin", model="store", version="live"),
    facts={"lane": "DAL-HOU", "customer_tier": "gold"},
)
RISK = Evidence(
    id="late-risk:SHP-000123",
    source=Source(tool="late_risk", model="xgb-late-risk", version="v1"),
    facts={"p_late": 0.8234},
    drivers=[
        Driver(feature="slack_left_hours", value=-3.5, contribution=1.9),
        Driver(feature="scan_delay_minutes", value=240, contribution=0.8),
        Driver(feature="weather", value=0.7, contribution=-0.5),
        Driver(feature="distance_miles", value=239, contribution=0.1),
    ],
)
WHAT_IF = RISK.model_copy(
    update={
        "id": "late-risk:SHP-000123:expedited",
        "inputs": {"scenario": "expedited"},
        "drivers": [Driver(feature="congestion", value=0.4, contribution=3.0)],
    }
)
PLAN = Evidence(
    id="plans:SHP-000123",
    source=Source(tool="plan_comparison", model="expected-cost", version="1"),
    facts={"cost_usd": 354.25, "confidence": 0.82, "chosen": "expedite final leg"},
)
PROCEDURE = Evidence(
    id="knowledge-abc",
    source=Source(tool="knowledge", model="minilm", version="1"),
    facts={"hits": [{"id": "SOP-LATE-01#expedite", "title": "Late shipment recovery"}]},
)
GOOD_CLAIMS = [
    Claim(text="Shipment SHP-000123 on lane DAL-HOU is due for a gold customer.", evidence_ids=[SHIPMENT.id]),
    Claim(
        text="The late-risk model puts P(late) at 0.82; top drivers: slack_left_hours -3.5 (+1.9), "
        "scan_delay_minutes 240 (+0.8), weather 0.7 (-0.5).",
        evidence_ids=[RISK.id],
    ),
    Claim(text="Chosen: expedite final leg for SHP-000123.", evidence_ids=[PLAN.id]),
    Claim(text="Expected cost 354.25 USD.", evidence_ids=[PLAN.id]),
    Claim(text="Rejected no action: expected total higher.", evidence_ids=[PLAN.id]),
    Claim(text="Confidence 0.82.", evidence_ids=[PLAN.id]),
    Claim(text="Procedure SOP-LATE-01 (Late shipment recovery) applies.", evidence_ids=[PROCEDURE.id]),
]
EXPEDITE = [
    a.ExpediteShipment(params=a.ExpediteShipmentParams(shipment_id="SHP-000123", hours_saved=4.5, cost_usd=329.25)),
    a.NotifyCustomer(params=a.NotifyCustomerParams(shipment_id="SHP-000123", customer="CUST-0007", cost_usd=25.0)),
]


def justification(claims: list[Claim]) -> Justification:
    """A template justification made of the claims."""
    return Justification(text=" ".join(claim.text for claim in claims), claims=claims)


def decision(claims: list[Claim] = GOOD_CLAIMS, **update) -> Decision:
    """A routing decision that expedites SHP-000123, with every part of a complete justification."""
    base = Decision(
        decision_id="DEC-1",
        exception_id="EXC-1",
        specialist="routing",
        status="executed",
        actions=EXPEDITE,
        expected_impact=Impact(cost_usd=354.25),
        confidence=0.82,
        evidence=[SHIPMENT, RISK, WHAT_IF, PLAN, PROCEDURE],
        justification=justification(claims),
        alternatives=[Alternative(name="no action", why_not="expected total higher")],
        trace_id="EXC-1",
        policy=PolicyVerdict(autonomy_level=3, requires_approval=False, reasons=["within bounds"]),
    )
    return base.model_copy(update=update)


def case(
    case_id: str = "late-1", same_as: str | None = None, counterfactual: Counterfactual | None = None, **expect
) -> Case:
    """A late-shipment case expecting routing to act with the late-shipment actions."""
    wanted = {
        "specialist": "routing",
        "status": ["executed", "pending_approval"],
        "action_types": ["expedite_shipment", "notify_customer", "switch_carrier"],
        **expect,
    }
    return Case(
        id=case_id,
        version=1,
        category="routine",
        note="test",
        expect=Expect(**wanted),
        exception=ExceptionIn(type="late_shipment", refs={"shipment_id": "SHP-000123"}),
        same_as=same_as,
        counterfactual=counterfactual,
    )


def run(made: Decision | None = None, the_case: Case | None = None, **fields) -> CaseRun:
    """A case run of the decision (the complete one by default)."""
    fields.setdefault("policy_expected", PolicyVerdict(autonomy_level=3, requires_approval=False))
    return CaseRun(case=the_case or case(), decision=made if made is not None else decision(), **fields)


def test_the_complete_decision_passes_every_metric():
    results = {result.name: result for result in score([run()], CODES)}
    assert all(result.value == 1.0 for result in results.values()), {
        name: [f.detail for f in result.failures] for name, result in results.items()
    }
    assert results["faithfulness"].total == len(GOOD_CLAIMS)
    assert set(GATES) <= set(results)


def test_an_invented_number_fails_faithfulness_with_the_offending_claim():
    invented = Claim(text="The late-risk model puts P(late) at 0.93.", evidence_ids=[RISK.id])
    result = faithfulness([run(decision([*GOOD_CLAIMS, invented]))])
    assert result.passed == len(GOOD_CLAIMS) and result.total == len(GOOD_CLAIMS) + 1
    assert result.failures[0].claim == invented.text
    assert "0.93" in result.failures[0].detail
    assert not result.ok


def test_a_code_missing_from_the_cited_evidence_or_an_unknown_citation_fails_faithfulness():
    wrong_code = Claim(text="Shipment SHP-000124 is due.", evidence_ids=[SHIPMENT.id])
    unknown_id = Claim(text="Shipment SHP-000123 is due.", evidence_ids=["twin:nothing"])
    uncited = Claim(text="Nothing to add.", evidence_ids=[])
    result = faithfulness([run(decision([wrong_code, unknown_id, uncited]))])
    assert result.passed == 0
    assert "SHP-000124" in result.failures[0].detail
    assert "twin:nothing" in result.failures[1].detail
    assert "cites no evidence" in result.failures[2].detail


def test_a_forbidden_statement_fails_faithfulness_even_when_its_numbers_are_supported():
    result = faithfulness([run(the_case=case(must_not_claim=["customer"]))])
    assert [failure.claim for failure in result.failures] == [GOOD_CLAIMS[0].text]


def test_a_rephrased_text_is_checked_against_all_the_evidence():
    rephrased = decision().justification.model_copy(update={"writer": "llm", "text": "Risk is 0.91 so we expedite."})
    result = faithfulness([run(decision(justification=rephrased))])
    assert result.total == len(GOOD_CLAIMS) + 1
    assert result.failures[0].claim == "Risk is 0.91 so we expedite."


def test_a_missing_alternative_fails_completeness():
    without = [claim for claim in GOOD_CLAIMS if not claim.text.startswith("Rejected")]
    gaps = completeness_gaps(run(decision(without, alternatives=[])))
    assert gaps == ["rejected alternative"]


def test_missing_procedure_impact_and_confidence_fail_completeness():
    bare = [*GOOD_CLAIMS[:3], GOOD_CLAIMS[4]]
    assert completeness_gaps(run(decision(bare))) == ["expected impact", "confidence", "applicable procedure"]


def test_a_fact_the_case_wants_mentioned_fails_completeness_when_absent():
    result = completeness([run(the_case=case(mentions=["DAL-HOU", "CAR-METRO"]))])
    assert result.failures[0].detail == "missing: mention of 'CAR-METRO'"


def test_no_action_and_needs_info_have_their_own_completeness_rules():
    reason = Claim(text="Shipment SHP-000123 is already delivered.", evidence_ids=[SHIPMENT.id])
    idle = decision([reason], status="no_action", actions=[], alternatives=[], policy=None)
    assert completeness_gaps(run(idle)) == []
    asking = Claim(text="Please give the shipment_id.", evidence_ids=["classification:EXC-1"])
    stuck = idle.model_copy(
        update={"status": "needs_info", "justification": justification([asking]), "missing": ["type"]}
    )
    assert completeness_gaps(run(stuck, case(missing=["shipment_id"]))) == ["missing references"]
    assert completeness_gaps(run(stuck.model_copy(update={"missing": ["shipment_id"]}))) == []


def test_driver_coverage_needs_the_top_three_drivers_of_each_prediction_and_ignores_what_ifs():
    assert driver_coverage([run()]).value == 1.0
    partial = Claim(text="P(late) is 0.82 because of slack_left_hours and weather.", evidence_ids=[RISK.id])
    result = driver_coverage([run(decision([partial]))])
    assert result.value == 0.0
    assert result.failures[0].detail == "late-risk:SHP-000123: scan_delay_minutes not named"
    twin_only = decision(evidence=[SHIPMENT, PLAN])
    assert driver_coverage([run(twin_only)]).total == 0


def test_driver_coverage_accepts_the_planner_words_of_a_driver():
    worded = Claim(
        text="P(late) is 0.82: time left before the promise -3.5 hours (+1.9), delay reported by scans 240 minutes "
        "(+0.8), weather on the lane 0.7 (-0.5).",
        evidence_ids=[RISK.id],
    )
    assert driver_coverage([run(decision([worded]))]).value == 1.0


def test_driver_coverage_fails_a_justification_that_cites_no_driver_in_any_words():
    silent = Claim(text="P(late) is 0.82 for SHP-000123 on lane DAL-HOU.", evidence_ids=[RISK.id])
    result = driver_coverage([run(decision([silent]))])
    assert result.value == 0.0 and result.passed == 0 and not result.ok
    assert result.failures[0].detail == (
        "late-risk:SHP-000123: slack_left_hours, scan_delay_minutes, weather not named"
    )


def test_routing_accuracy_checks_the_specialist_and_the_expected_handoffs():
    assert routing_accuracy([run(), run(the_case=case(specialist="inventory"))]).value == 0.5
    helped = run(decision(handoffs=["routing"]), case(handoffs=[]))
    assert "hand-offs ['routing']" in routing_accuracy([helped]).failures[0].detail


def test_action_validity_rejects_unknown_codes_disallowed_types_statuses_and_missing_required_actions():
    assert action_validity([run()], CODES).value == 1.0
    ghost = a.SwitchCarrier(params=a.SwitchCarrierParams(shipment_id="SHP-000123", to_carrier="CAR-ACME"))
    assert unknown_codes(ghost.params.as_dict(), CODES) == ["CAR-ACME"]
    with pytest.raises(ValidationError):  # an action type without an executor cannot even be built
        parse_action("teleport", {})
    cases = [
        run(decision(actions=[ghost])),
        run(the_case=case(action_types=["notify_customer"])),
        run(the_case=case(status=["no_action"])),
        run(the_case=case(required_action_types=["switch_carrier"])),
    ]
    result = action_validity(cases, CODES)
    assert result.passed == 0
    details = [failure.detail for failure in result.failures]
    assert "CAR-ACME, not in the twin" in details[0]
    assert details[1] == "action expedite_shipment not allowed (allowed: ['notify_customer'])"
    assert details[2].startswith("status executed not in")
    assert details[3] == "required action switch_carrier missing"


def test_policy_correctness_compares_approval_with_the_recomputed_policy_and_the_case():
    assert policy_correctness([run()]).value == 1.0
    should_ask = PolicyVerdict(autonomy_level=2, requires_approval=True, reasons=["switch_carrier: after approval"])
    wrong = run(policy_expected=should_ask)
    assert "the policy says ask" in policy_correctness([wrong]).failures[0].detail
    asked = decision(status="pending_approval", policy=should_ask)
    assert policy_correctness([run(asked, policy_expected=should_ask)]).value == 1.0
    expected_execute = run(asked, case(requires_approval=False), policy_expected=should_ask)
    assert "approval not required" in policy_correctness([expected_execute]).failures[0].detail
    idle = decision(status="no_action", actions=[], policy=None)
    assert policy_correctness([run(idle, policy_expected=None)]).value == 1.0


def test_robustness_compares_status_specialist_and_action_types_with_the_base_case():
    base = run(the_case=case("base"))
    same = run(decision(actions=list(reversed(EXPEDITE))), case("reworded", same_as="base"))
    moved = run(decision(actions=EXPEDITE[1:]), case("injected", same_as="base"))
    result = robustness([base, same, moved])
    assert (result.passed, result.total) == (1, 2)
    assert result.failures[0].case_id == "injected"


def test_readability_reports_the_means_and_flags_long_sentences_and_hard_passages():
    rambling = Claim(text=" ".join(["word"] * 40) + ".", evidence_ids=[SHIPMENT.id])
    hard = Claim(text="Operational considerations necessitate immediate consolidation. " * 6, evidence_ids=[])
    short_but_hard = Claim(text=hard.text.split(". ")[0] + ".", evidence_ids=[])
    runs = [
        run(),
        run(decision([rambling]), case("long")),
        run(decision([hard]), case("hard")),
        run(decision([short_but_hard]), case("short")),
    ]
    result = readability_metric(runs)
    assert (result.passed, result.total) == (2, 4)
    assert [failure.case_id for failure in result.failures] == ["long", "hard"]
    assert result.extra["bounds"] == {"words_per_sentence": 20.0, "grade": 12.0}


def test_counterfactual_sensitivity_needs_the_change_and_the_direction():
    spec = Counterfactual(
        edit=TwinEdit(kind="shift_promise", target="SHP-000123", amount=48),
        changes="decision",
        output="p_late",
        direction="down",
    )
    the_case = case(counterfactual=spec)
    calmer = RISK.model_copy(update={"facts": {"p_late": 0.05}})
    idle = decision(status="no_action", actions=[], evidence=[SHIPMENT, calmer, PLAN])
    assert counterfactual_sensitivity([run(the_case=the_case, counterfactual=idle)]).value == 1.0
    unchanged = counterfactual_sensitivity([run(the_case=the_case, counterfactual=decision())])
    assert unchanged.failures[0].detail.startswith("decision unchanged")
    assert "p_late 0.8234 -> 0.8234, expected down" in unchanged.failures[0].detail


def test_a_case_that_raised_fails_its_metrics():
    crashed = CaseRun(case=case(), error="ValueError: boom")
    assert routing_accuracy([crashed]).failures[0].detail == "the case raised ValueError: boom"
    assert faithfulness([crashed]).value == 0.0


def test_claims_kept_counts_the_claims_the_verifier_dropped():
    dropped = decision().justification.model_copy(update={"dropped_claims": [Claim(text="x 9", evidence_ids=[])]})
    result = claims_kept([run(decision(justification=dropped))])
    assert (result.passed, result.total) == (len(GOOD_CLAIMS), len(GOOD_CLAIMS) + 1)


def test_case_metrics_are_broken_down_by_the_action_types_each_decision_proposes():
    switch = a.SwitchCarrier(params=a.SwitchCarrierParams(shipment_id="SHP-000123", to_carrier="CAR-ACME"))
    runs = [
        run(),  # expedite and notify, valid
        run(decision(actions=[switch, EXPEDITE[1]])),  # an unknown carrier: fails under both of its types
        run(decision(actions=[], status="no_action"), the_case=case(status=["no_action"])),  # counts under none
        CaseRun(case=case("late-2"), error="ValueError: boom"),  # raised: counts under none
    ]
    result = action_validity(runs, CODES)
    assert (result.passed, result.total) == (2, 4)
    shares = {kind: (share.passed, share.total, share.value) for kind, share in result.by_action_type.items()}
    assert shares == {"expedite_shipment": (1, 1, 1.0), "notify_customer": (1, 2, 0.5), "switch_carrier": (0, 1, 0.0)}
    assert faithfulness(runs).by_action_type == {}  # a claim metric has no breakdown by case
