"""Recommended autonomy from hand-built verdicts, outcomes, model runs and eval reports: each signal lowers the
level it must, approvals raise a rule that asks, and every recommendation says why."""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import Session

from agents.autonomy import EvalCheck, EvalReport, Evidence, TypeCheck, read_eval_report, recommend, recommendations
from agents.policy import default_rule, ensure_defaults
from agents.policy_learning import LearningSettings
from agents.schemas import Decision, Outcome
from evals.metrics import MetricResult, TypeShare
from evals.report import build_report
from tests.agents.test_policy_learning import plant, plant_rejections
from tools.evidence import Evidence as Facts
from tools.evidence import Source
from twin import models as m
from twin import store
from twin.actions import ExpediteShipment, SwitchCarrier

LIMITS = LearningSettings(window_days=30, min_support=5, min_rejection_rate=0.8, min_approval_rate=0.95)
PASSING = EvalReport(
    started_at=datetime(2026, 12, 6, tzinfo=UTC),
    metrics=[EvalCheck(name="soundness", value=1.0, gate=1.0), EvalCheck(name="action_validity", value=1.0, gate=1.0)],
)
EXPEDITE = default_rule("expedite_shipment")  # acts within bounds by default
SWITCH = default_rule("switch_carrier")  # asks for approval by default


def run(breaches: list[str], calibration: float = 0.02) -> m.ModelMonitorRun:
    """A late-risk performance run of the twin's day."""
    moment = datetime(2026, 11, 2, 8, tzinfo=UTC)
    return m.ModelMonitorRun(
        model="xgb-late-risk",
        version="v1",
        kind="performance",
        day=date(2026, 11, 2),
        measured_at=moment,
        window_start=moment,
        window_end=moment,
        rows=300,
        metrics={"roc_auc": 0.97, "calibration_error": calibration},
        breaches=breaches,
    )


def verdicts(refused: int, approved: int, achieved: int = 0, missed: int = 0) -> Evidence:
    """Reviewed proposals (True: refused) and settled outcomes (True: achieved)."""
    return Evidence(refused=[True] * refused + [False] * approved, achieved=[True] * achieved + [False] * missed)


def test_good_evidence_keeps_an_acting_rule_and_says_why():
    found = recommend(EXPEDITE, verdicts(0, 12, achieved=9, missed=1), run([]), PASSING, LIMITS)
    assert (found.configured, found.recommended, found.change) == ("act", "act", "keep")
    assert found.reasons == [
        "evals of 2026-12-06: soundness, validity and policy checks of all decisions (no case proposes "
        "expedite_shipment) pass their gates, lowest 100.0%",
        "xgb-late-risk within its limits on 2026-11-02 (calibration error 0.020)",
        "people approved 12 of 12 proposals",
        "9 of 10 executed decisions achieved their goal",
    ]
    assert (found.signals.approval_rate, found.signals.achieved_rate, found.signals.model) == (
        1.0,
        0.9,
        "xgb-late-risk",
    )


@pytest.mark.parametrize(
    ("evidence", "model_run", "evals", "level", "reason"),
    [
        (verdicts(9, 1), run([]), PASSING, "off", "people refused 9 of 10 proposals: stop proposing"),
        (verdicts(3, 9), run([]), PASSING, "recommend", "people refused 3 of 12 proposals: keep a person deciding"),
        (verdicts(0, 8, 2, 6), run([]), PASSING, "recommend", "2 of 8 executed decisions achieved their goal"),
        (
            verdicts(0, 8),
            run(["calibration error 0.312 above 0.1"], 0.312),
            PASSING,
            "recommend",
            "xgb-late-risk on 2026-11-02: calibration error 0.312 above 0.1",
        ),
        (
            verdicts(0, 8),
            run([]),
            PASSING.model_copy(update={"metrics": [EvalCheck(name="soundness", value=0.97, gate=1.0)]}),
            "shadow",
            "eval soundness of all decisions 97.0% below its gate 100%",
        ),
    ],
    ids=["refused", "often-refused", "outcomes-missed", "miscalibrated-model", "unsound"],
)
def test_each_signal_lowers_an_acting_rule_naming_itself_first(evidence, model_run, evals, level, reason):
    found = recommend(EXPEDITE, evidence, model_run, evals, LIMITS)
    assert (found.recommended, found.change, found.reasons[0]) == (level, "lower", reason)


def test_approvals_raise_a_rule_that_asks_only_when_nothing_holds_it_back():
    raised = recommend(SWITCH, verdicts(0, 20, achieved=6), run([]), PASSING, LIMITS)
    assert (raised.configured, raised.recommended, raised.change) == ("recommend", "act", "raise")
    assert raised.reasons[-1] == "approvals and outcomes support acting within bounds"
    held = recommend(SWITCH, verdicts(0, 20), run(["AUC 0.800 fell 0.150 below its reference 0.950"]), PASSING, LIMITS)
    assert (held.recommended, held.change) == ("recommend", "keep")
    assert "xgb-late-risk on 2026-11-02: AUC 0.800 fell 0.150 below its reference 0.950" in held.reasons


def test_too_little_evidence_changes_nothing_and_says_so():
    found = recommend(EXPEDITE, verdicts(2, 1), None, None, LIMITS)
    assert (found.recommended, found.change) == ("act", "keep")
    assert found.reasons == [
        "no eval report: run `yardmaster eval`",
        "xgb-late-risk has no performance measured yet",
        "3 reviewed proposals, fewer than 5: verdicts not yet telling",
        "0 settled outcomes, fewer than 5: effect not yet measured",
    ]
    assert found.signals.eval_pass_rate is None and found.signals.model_breaches is None
    assert found.signals.eval_cases is None


def by_type(**shares: tuple[int, int]) -> dict[str, TypeCheck]:
    """An eval check's breakdown: (passed, total) per action type."""
    return {kind: TypeCheck(value=round(p / t, 4), passed=p, total=t) for kind, (p, t) in shares.items()}


SPLIT = EvalReport(  # soundness fails over all decisions, through transfers only
    started_at=datetime(2026, 12, 6, tzinfo=UTC),
    metrics=[
        EvalCheck(
            name="soundness",
            value=0.9706,
            gate=1.0,
            by_action_type=by_type(expedite_shipment=(12, 12), transfer_stock=(4, 5)),
        ),
        EvalCheck(
            name="action_validity",
            value=1.0,
            gate=1.0,
            by_action_type=by_type(expedite_shipment=(12, 12), transfer_stock=(5, 5)),
        ),
    ],
)


def test_the_eval_gates_are_read_for_the_rules_own_action_type():
    sound = recommend(EXPEDITE, verdicts(0, 8), run([]), SPLIT, LIMITS)
    assert (sound.recommended, sound.change) == ("act", "keep")
    assert sound.reasons[0] == (
        "evals of 2026-12-06: soundness, validity and policy checks of expedite_shipment decisions (12 cases) pass "
        "their gates, lowest 100.0%"
    )
    assert (sound.signals.eval_pass_rate, sound.signals.eval_cases) == (1.0, 12)
    transfer = recommend(default_rule("transfer_stock"), verdicts(0, 8), None, SPLIT, LIMITS)
    assert (transfer.recommended, transfer.reasons[0]) == (
        "shadow",
        "eval soundness of transfer_stock decisions (4 of 5 cases) 80.0% below its gate 100%",
    )
    assert (transfer.signals.eval_pass_rate, transfer.signals.eval_cases) == (0.8, 5)
    unseen = recommend(SWITCH, verdicts(0, 8), run([]), SPLIT, LIMITS)  # no case proposes it: all decisions count
    assert (unseen.recommended, unseen.reasons[0]) == (
        "shadow",
        "eval soundness of all decisions 97.1% below its gate 100%",
    )
    assert (unseen.signals.eval_pass_rate, unseen.signals.eval_cases) == (0.9706, 0)


def test_the_eval_reports_breakdown_by_action_type_is_read_as_written(tmp_path):
    validity = MetricResult(
        name="action_validity",
        value=0.5,
        passed=1,
        total=2,
        gate=1.0,
        by_action_type={"transfer_stock": TypeShare(value=0.0, passed=0, total=1)},
    )
    written = build_report([], [validity], ["stock"], "offline", datetime(2026, 12, 6, tzinfo=UTC), 1.0)
    path = tmp_path / "report.json"
    path.write_text(written.model_dump_json())
    read = read_eval_report(path)
    assert read is not None and read.metrics[0].by_action_type == by_type(transfer_stock=(0, 1))


def test_the_eval_report_is_read_when_present(tmp_path):
    path = tmp_path / "report.json"
    assert read_eval_report(path) is None
    path.write_text(PASSING.model_dump_json())
    assert read_eval_report(path) == PASSING
    path.write_text("{not json")
    assert read_eval_report(path) is None


def settle(session: Session, decision_id: str, status: str) -> None:
    """Record an executed decision's outcome."""
    record = session.get(m.DecisionRecord, decision_id)
    now = store.clock(session)
    evidence = Facts(id=f"outcome:{decision_id}", source=Source(tool="outcomes", model="twin-check", version="1"))
    outcome = Outcome(status=status, goal="delivered on time", since=now, checked_at=now, evidence=evidence)
    Decision.of(record).model_copy(update={"outcome": outcome}).store(record)
    session.add(record)


def test_verdicts_and_outcomes_on_the_twin_count_for_the_rule_that_governed_them(engine, tmp_path):
    switch = SwitchCarrier(params={"shipment_id": "SHP-000023", "to_carrier": "CAR-METRO", "cost_usd": 410.2})
    with Session(engine) as session:
        ensure_defaults(session)
        plant_rejections(session, switch, rejected=0, approved=6)
        for number, status in enumerate(["achieved"] * 5 + ["not_achieved"]):
            settle(session, f"DEC-PLANT{number:04d}", status)
        session.flush()
        found = {(r.action_type, r.cohort): r for r in recommendations(session, LIMITS, tmp_path / "report.json")}
        raised = found[("switch_carrier", "*")]
        assert (raised.configured, raised.recommended, raised.change) == ("recommend", "act", "raise")
        assert (raised.signals.reviewed, raised.signals.settled_outcomes, raised.signals.achieved_rate) == (
            6,
            6,
            0.8333,
        )
        assert "5 of 6 executed decisions achieved their goal" in raised.reasons
        assert found[("expedite_shipment", "*")].change == "keep"
        assert ("rollback_model", "*") not in found  # a model change always waits for an architect

        expedite = ExpediteShipment(params={"shipment_id": "SHP-000023", "cost_usd": 90.0})
        for number in range(100, 105):
            plant(session, expedite, "reject", number, store.clock(session) - timedelta(days=1))
        session.flush()
        found = {(r.action_type, r.cohort): r for r in recommendations(session, LIMITS, tmp_path / "report.json")}
    stopped = found[("expedite_shipment", "*")]
    assert (stopped.recommended, stopped.reasons[0]) == ("off", "people refused 5 of 5 proposals: stop proposing")
