"""Learning from overrides: planted patterns of verdicts produce the matching suggestion; acceptance changes the rule."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, select

from agents.policy import DEFAULT_RULES, Cohort, ensure_defaults, rules
from agents.policy_learning import (
    Example,
    LearningSettings,
    UnknownSuggestion,
    answer,
    mine,
    open_suggestions,
)
from agents.schemas import Decision
from twin import models as m
from twin import store
from twin.actions import AnyAction, ExpediteShipment, SwitchCarrier

LIMITS = LearningSettings(window_days=30, min_support=5, min_rejection_rate=0.8, min_approval_rate=0.95)
UNTIL = datetime(2026, 11, 2, 8, tzinfo=UTC)
SINCE = UNTIL - timedelta(days=30)
DAL_HOU = Cohort(lane="DAL-HOU", site="DC-DAL", carrier="CAR-REDRIVER")


def _expedite(cost: float, shipment: str = "SHP-000023") -> ExpediteShipment:
    """An expedite of a DAL-HOU shipment at a cost."""
    return ExpediteShipment(params={"shipment_id": shipment, "cost_usd": cost})


def _examples(rejected: int, approved: int, cohort: Cohort = DAL_HOU) -> list[Example]:
    """Reviewed expedites in a cohort: the rejected ones cheap, the approved ones dearer."""
    verdicts = [(True, 100.0 + 10 * n) for n in range(rejected)] + [(False, 600.0 + n) for n in range(approved)]
    return [
        Example(
            decision_id=f"DEC-{n:04d}",
            action=_expedite(cost),
            cohort=cohort,
            code=cohort.lane or "*",
            cost_usd=cost,
            rejected=refused,
            at=UNTIL - timedelta(days=1),
        )
        for n, (refused, cost) in enumerate(verdicts)
    ]


def test_a_planted_pattern_of_rejections_suggests_no_longer_proposing_them():
    [suggestion] = mine(_examples(14, 2), DEFAULT_RULES, LIMITS, SINCE, UNTIL)
    assert (suggestion.action_type, suggestion.cohort, suggestion.change) == (
        "expedite_shipment",
        "DAL-HOU",
        "stop_proposing",
    )
    assert (suggestion.evidence.reviewed, suggestion.evidence.rejected, suggestion.evidence.approved) == (16, 14, 2)
    assert suggestion.evidence.rejected_cost_usd == (100.0, 230.0)
    assert (suggestion.evidence.window_start, suggestion.evidence.window_end) == (SINCE, UNTIL)
    assert (suggestion.proposed.cohort, suggestion.proposed.level) == ("DAL-HOU", "off")
    assert (suggestion.current.cohort, suggestion.current.level) == ("*", "act")
    assert (
        "rejected 14 of 16 expedite shipment proposals (costing 100.00 to 230.00 USD) on DAL-HOU" in suggestion.summary
    )
    again = mine(list(reversed(_examples(14, 2))), DEFAULT_RULES, LIMITS, SINCE, UNTIL)
    assert [s.id for s in again] == [suggestion.id]  # deterministic: the same evidence gives the same suggestion


@pytest.mark.parametrize(
    ("rejected", "approved"),
    [(8, 8), (4, 0), (12, 4), (0, 0)],
    ids=["half-rejected", "below-support", "below-rate", "nothing"],
)
def test_no_pattern_no_suggestion(rejected, approved):
    assert mine(_examples(rejected, approved), DEFAULT_RULES, LIMITS, SINCE, UNTIL) == []


def test_approvals_of_a_rule_that_asks_suggest_acting_within_the_approved_costs():
    switch = SwitchCarrier(params={"shipment_id": "SHP-000023", "to_carrier": "CAR-METRO", "cost_usd": 410.2})
    found = [e.model_copy(update={"action": switch}) for e in _examples(0, 10)]
    [suggestion] = mine(found, DEFAULT_RULES, LIMITS, SINCE, UNTIL)
    assert (suggestion.change, suggestion.current.level) == ("act_within_bounds", "recommend")
    assert (suggestion.proposed.level, suggestion.proposed.max_cost_usd) == ("act", 609.0)
    assert mine(_examples(0, 10), DEFAULT_RULES, LIMITS, SINCE, UNTIL) == []  # expedites already act: nothing to do


def plant(session: Session, action: AnyAction, verdict: str, number: int, at: datetime) -> None:
    """A decision the desk proposed with one action, and a person's verdict on it, on an exception of `at`."""
    exception_id, decision_id = f"EXC-PLANT{number:04d}", f"DEC-PLANT{number:04d}"
    now = datetime.now(UTC)
    session.add(m.ExceptionRecord(id=exception_id, refs={}, occurred_at=at, created_at=now, status="closed"))
    session.flush()
    status = "rejected" if verdict == "reject" else "executed"
    decision = Decision(
        decision_id=decision_id,
        exception_id=exception_id,
        specialist="routing",
        status=status,
        actions=[action],
        trace_id=exception_id,
    )
    session.add(
        m.DecisionRecord(
            id=decision_id,
            exception_id=exception_id,
            specialist="routing",
            status=status,
            confidence=0.9,
            payload=decision.model_dump(mode="json"),
            thread_id=exception_id,
            created_at=now,
            updated_at=now,
        )
    )
    session.flush()
    session.add(m.Approval(decision_id=decision_id, actor="planner", verdict=verdict, reason="test", at=now))


def plant_rejections(session: Session, action: AnyAction, rejected: int, approved: int) -> None:
    """A pattern of verdicts on one action within the window of the twin's clock."""
    at = store.as_of(session) - timedelta(days=2)
    for number in range(rejected + approved):
        plant(session, action, "reject" if number < rejected else "approve", number, at)
    session.flush()


def _audited(session: Session, kind: str) -> list[m.AuditEvent]:
    """The audit events of a kind."""
    return list(session.exec(select(m.AuditEvent).where(m.AuditEvent.kind == kind)))


def test_accepting_a_mined_suggestion_changes_the_rule_and_audits_both(engine):
    with Session(engine) as session:
        ensure_defaults(session)
        assert open_suggestions(session, LIMITS) == []
        plant_rejections(session, _expedite(120.0), rejected=6, approved=1)
        old = store.as_of(session) - timedelta(days=45)
        plant(session, _expedite(120.0), "approve", 99, old)  # outside the window: not counted
        [suggestion] = open_suggestions(session, LIMITS)
        assert (suggestion.cohort, suggestion.evidence.reviewed, suggestion.evidence.rejected) == ("DAL-HOU", 7, 6)
        with pytest.raises(UnknownSuggestion):
            answer(session, "SUG-000000000000", "accepted", "architect", LIMITS)
        answer(session, suggestion.id, "accepted", "architect", LIMITS)
        stored = {(r.action_type, r.cohort): r for r in rules(session)}
        assert stored[("expedite_shipment", "DAL-HOU")].level == "off"
        [changed] = _audited(session, "policy_updated")
        assert (changed.actor, changed.detail["before"], changed.detail["after"]["level"]) == ("architect", None, "off")
        assert changed.detail["suggestion_id"] == suggestion.id
        [accepted] = _audited(session, "policy_suggestion.accepted")
        assert accepted.detail["evidence"]["rejected"] == 6
        assert open_suggestions(session, LIMITS) == []  # answered once, not offered again
        with pytest.raises(UnknownSuggestion):
            answer(session, suggestion.id, "declined", "architect", LIMITS)


def test_declining_keeps_the_rule_and_is_audited(engine):
    with Session(engine) as session:
        ensure_defaults(session)
        plant_rejections(session, _expedite(120.0), rejected=5, approved=0)
        before = rules(session)
        [suggestion] = open_suggestions(session, LIMITS)
        answer(session, suggestion.id, "declined", "architect", LIMITS)
        assert rules(session) == before and _audited(session, "policy_updated") == []
        [declined] = _audited(session, "policy_suggestion.declined")
        assert (declined.actor, declined.detail["suggestion_id"]) == ("architect", suggestion.id)
        assert open_suggestions(session, LIMITS) == []
