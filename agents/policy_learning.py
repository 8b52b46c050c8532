"""Learning from overrides: people's verdicts on the desk's proposals, mined per action type and cohort into suggested
policy changes with their evidence, for an architect to accept (the rule changes, audited) or decline.

An example is one action a person reviewed: rejected (the decision was rejected, or an override dropped its action
type) or approved unchanged. Examples are grouped by action type and the most specific code of their cohort (lane,
else site, else carrier) over a window of the twin's clock ending at its current time. A group with at least the
minimum support suggests `stop_proposing` (level off) when its rejection share reaches the threshold, and
`act_within_bounds` (level act, bounded by the largest approved cost) when its rule asks for approval and its
approval share reaches the threshold. A suggestion answered once is not offered again.
"""

import hashlib
import math
from datetime import UTC, datetime, timedelta
from typing import Literal

from pydantic import BaseModel, Field
from sqlmodel import Session, col, select

from agents.policy import Cohort, PolicyRule, at_level, change_rule, cohort_of, rule_for, rules
from agents.schemas import Action, Decision
from twin import access, store
from twin import models as m
from twin.actions import parse_action
from twin.settings import Settings

Change = Literal["stop_proposing", "act_within_bounds"]


class LearningSettings(BaseModel):
    """The explicit thresholds of the mining."""

    window_days: int = Field(ge=1)
    min_support: int = Field(ge=1)
    min_rejection_rate: float = Field(gt=0, le=1)
    min_approval_rate: float = Field(gt=0, le=1)

    @classmethod
    def of(cls, settings: Settings) -> "LearningSettings":
        """The thresholds set in the app's settings (`YM_SUGGEST_*`)."""
        return cls(
            window_days=settings.suggest_window_days,
            min_support=settings.suggest_min_support,
            min_rejection_rate=settings.suggest_min_rejection_rate,
            min_approval_rate=settings.suggest_min_approval_rate,
        )


class Example(BaseModel):
    """One reviewed action: what the desk proposed, in which cohort, at what cost, and whether a person refused it."""

    decision_id: str
    action: Action
    cohort: Cohort
    code: str = Field(description="the cohort's most specific code: its lane, else site, else carrier")
    cost_usd: float
    rejected: bool
    at: datetime  # the exception's time on the twin's clock


class SuggestionEvidence(BaseModel):
    """The counts a suggestion rests on."""

    reviewed: int
    rejected: int
    approved: int
    rejection_rate: float
    approval_rate: float
    rejected_cost_usd: tuple[float, float] | None = Field(description="cheapest and dearest rejected proposal")
    approved_cost_usd: tuple[float, float] | None = Field(description="cheapest and dearest approved proposal")
    window_start: datetime
    window_end: datetime
    decision_ids: list[str]


class Suggestion(BaseModel):
    """A concrete policy change for an action type in a cohort, with its evidence and the rule it replaces."""

    id: str
    action_type: str
    cohort: str
    change: Change
    summary: str
    evidence: SuggestionEvidence
    current: PolicyRule
    proposed: PolicyRule


class UnknownSuggestion(LookupError):
    """No open suggestion has this id (never mined, no longer supported by the evidence, or already answered)."""


def examples(session: Session, since: datetime, until: datetime) -> list[Example]:
    """Every action people reviewed on exceptions of the window, one example per action."""
    found: list[Example] = []
    verdicts = session.exec(
        select(m.Approval, m.DecisionRecord, m.ExceptionRecord)
        .where(col(m.Approval.decision_id) == col(m.DecisionRecord.id))
        .where(col(m.DecisionRecord.exception_id) == col(m.ExceptionRecord.id))
        .where(col(m.ExceptionRecord.occurred_at) >= since, col(m.ExceptionRecord.occurred_at) <= until)
        .order_by(col(m.Approval.id))
    )
    for approval, record, exception in verdicts:
        proposed, kept = _reviewed(session, approval, record)
        for action in proposed:
            cohort = cohort_of(session, action)
            refused = approval.verdict == "reject" or action.type not in kept
            found.append(
                Example(
                    decision_id=record.id,
                    action=action,
                    cohort=cohort,
                    code=cohort.lane or cohort.site or cohort.carrier or "*",
                    cost_usd=action.params.cost_usd or 0.0,
                    rejected=refused,
                    at=exception.occurred_at,
                )
            )
    return found


def _reviewed(session: Session, approval: m.Approval, record: m.DecisionRecord) -> tuple[list[Action], set[str]]:
    """The actions the desk proposed on a reviewed decision, and the action types the person kept."""
    decision = Decision.of(record)
    if approval.verdict != "override":
        return decision.actions, {action.type for action in decision.actions}
    edit = session.exec(select(m.Override).where(col(m.Override.decision_id) == record.id)).first()
    original = [parse_action(item["type"], item["params"]) for item in (edit.original_actions if edit else [])]
    return original, {action.type for action in decision.actions}


def _span(costs: list[float]) -> tuple[float, float] | None:
    """The cheapest and dearest of some costs, None when there are none."""
    return (round(min(costs), 2), round(max(costs), 2)) if costs else None


def _id(action_type: str, cohort: str, change: Change) -> str:
    """A suggestion's stable id: the same change for the same action type and cohort is the same suggestion."""
    return "SUG-" + hashlib.sha256(f"{action_type}|{cohort}|{change}".encode()).hexdigest()[:12]


def mine(
    found: list[Example], stored: list[PolicyRule], limits: LearningSettings, since: datetime, until: datetime
) -> list[Suggestion]:
    """The suggestions a set of examples supports under the rules in force, most reviewed first."""
    groups: dict[tuple[str, str], list[Example]] = {}
    for example in found:
        groups.setdefault((example.action.type, example.code), []).append(example)
    suggestions = [
        suggestion
        for (action_type, cohort), group in groups.items()
        if len(group) >= limits.min_support
        for suggestion in _suggest(action_type, cohort, group, stored, limits, since, until)
    ]
    return sorted(suggestions, key=lambda s: (-s.evidence.reviewed, s.action_type, s.cohort))


def _suggest(
    action_type: str,
    cohort: str,
    group: list[Example],
    stored: list[PolicyRule],
    limits: LearningSettings,
    since: datetime,
    until: datetime,
) -> list[Suggestion]:
    """The change one group of examples supports, if any."""
    refused = [e for e in group if e.rejected]
    approved = [e for e in group if not e.rejected]
    current = rule_for(group[0].action, group[0].cohort, stored)
    evidence = SuggestionEvidence(
        reviewed=len(group),
        rejected=len(refused),
        approved=len(approved),
        rejection_rate=round(len(refused) / len(group), 4),
        approval_rate=round(len(approved) / len(group), 4),
        rejected_cost_usd=_span([e.cost_usd for e in refused]),
        approved_cost_usd=_span([e.cost_usd for e in approved]),
        window_start=since,
        window_end=until,
        decision_ids=sorted({e.decision_id for e in group}),
    )
    days = f"between {since:%Y-%m-%d} and {until:%Y-%m-%d}"
    name = action_type.replace("_", " ")
    if evidence.rejection_rate >= limits.min_rejection_rate and current.level in ("recommend", "act"):
        costs = evidence.rejected_cost_usd
        priced = f" (costing {costs[0]:,.2f} to {costs[1]:,.2f} USD)" if costs else ""
        return [
            Suggestion(
                id=_id(action_type, cohort, "stop_proposing"),
                action_type=action_type,
                cohort=cohort,
                change="stop_proposing",
                summary=f"Planners rejected {len(refused)} of {len(group)} {name} proposals{priced} on {cohort} "
                f"{days}: stop proposing them there.",
                evidence=evidence,
                current=current,
                proposed=at_level(action_type, cohort, "off"),
            )
        ]
    if evidence.approval_rate >= limits.min_approval_rate and current.level == "recommend":
        ceiling = float(math.ceil(max(e.cost_usd for e in approved)))
        return [
            Suggestion(
                id=_id(action_type, cohort, "act_within_bounds"),
                action_type=action_type,
                cohort=cohort,
                change="act_within_bounds",
                summary=f"Planners approved {len(approved)} of {len(group)} {name} proposals on {cohort} {days}, "
                f"none above {ceiling:,.2f} USD: act within that cost there and ask above it.",
                evidence=evidence,
                current=current,
                proposed=at_level(action_type, cohort, "act").model_copy(update={"max_cost_usd": ceiling}),
            )
        ]
    return []


def window(session: Session, limits: LearningSettings) -> tuple[datetime, datetime]:
    """The mined window: the configured days up to the twin's clock (the wall clock before a scenario is loaded)."""
    until = store.as_of(session) or datetime.now(UTC)
    return until - timedelta(days=limits.window_days), until


def open_suggestions(session: Session, limits: LearningSettings) -> list[Suggestion]:
    """The suggestions the window's examples support today, less those an architect already answered."""
    since, until = window(session, limits)
    answered = set(session.exec(select(m.PolicySuggestionVerdict.id)).all())
    mined = mine(examples(session, since, until), rules(session), limits, since, until)
    return [suggestion for suggestion in mined if suggestion.id not in answered]


def answer(
    session: Session, suggestion_id: str, verdict: Literal["accepted", "declined"], actor: str, limits: LearningSettings
) -> Suggestion:
    """Accept (the proposed rule is stored, audited with the rule before and after) or decline an open suggestion;
    either way the answer is kept and audited. UnknownSuggestion when it is not open."""
    suggestion = next((s for s in open_suggestions(session, limits) if s.id == suggestion_id), None)
    if suggestion is None:
        raise UnknownSuggestion(suggestion_id)
    if verdict == "accepted":
        change_rule(session, suggestion.proposed, actor, suggestion_id=suggestion.id)
    session.add(
        m.PolicySuggestionVerdict(
            id=suggestion.id,
            status=verdict,
            actor=actor,
            at=datetime.now(UTC),
            suggestion=suggestion.model_dump(mode="json"),
        )
    )
    access.audit(
        session,
        actor,
        f"policy_suggestion.{verdict}",
        suggestion_id=suggestion.id,
        action_type=suggestion.action_type,
        cohort=suggestion.cohort,
        change=suggestion.change,
        evidence=suggestion.evidence.model_dump(mode="json"),
    )
    session.flush()
    return suggestion
