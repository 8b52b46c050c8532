"""The policy gate: autonomy per action type (optionally per lane or site), cost and confidence bounds."""

from datetime import UTC, datetime

from pydantic import BaseModel, Field
from sqlmodel import Session, col, select

from agents.explain import format_usd
from agents.schemas import Action, PolicyVerdict
from twin import models as m
from twin.actions import RollbackModel, ScheduleMaintenance, references

RECOMMEND_ONLY, AFTER_APPROVAL, WITHIN_BOUNDS, UNLESS_SAFETY_CRITICAL = 1, 2, 3, 4
AUTO_COST_LIMIT_USD = 2500.0  # SOP-AUTH-01: up to 2,500 USD may execute within bounds
AUTO_MIN_CONFIDENCE = 0.80  # SOP-AUTH-01: at least 0.80 to execute within bounds
RECOMMEND_BELOW_CONFIDENCE = 0.60  # SOP-AUTH-01: below 0.60 recommend only


class PolicyRule(BaseModel):
    """The autonomy of one action type in one scope (`*`, a site such as DC-DAL, or a lane such as DAL-HOU)."""

    action_type: str
    scope: str = "*"
    autonomy_level: int = Field(ge=1, le=4)
    max_cost_usd: float | None = Field(default=None, ge=0)
    min_confidence: float | None = Field(default=None, ge=0, le=1)
    allowed_tiers: list[str] = Field(default_factory=list)
    safety_critical: bool = False


def _bounded(action_type: str, limit: float = AUTO_COST_LIMIT_USD) -> PolicyRule:
    """A level-3 rule with the procedure's default bounds."""
    return PolicyRule(
        action_type=action_type, autonomy_level=WITHIN_BOUNDS, max_cost_usd=limit, min_confidence=AUTO_MIN_CONFIDENCE
    )


DEFAULT_RULES = [
    PolicyRule(action_type="notify_customer", autonomy_level=UNLESS_SAFETY_CRITICAL),
    _bounded("expedite_shipment", 1500.0),  # SOP-AUTH-01: gold expedite limit
    PolicyRule(action_type="switch_carrier", autonomy_level=AFTER_APPROVAL),  # SOP-LATE-01: confirm the cause first
    _bounded("retender_loads"),
    PolicyRule(action_type="book_spot", autonomy_level=AFTER_APPROVAL),  # SOP-AUTH-01: spot above contract
    _bounded("replan_route"),
    _bounded("tender_stops"),
    _bounded("book_carrier"),
    _bounded("plan_tenders"),
    _bounded("transfer_stock"),
    PolicyRule(action_type="expedite_purchase", autonomy_level=AFTER_APPROVAL),
    _bounded("place_purchase_order"),
    _bounded("raise_safety_stock"),
    PolicyRule(action_type="schedule_maintenance", autonomy_level=UNLESS_SAFETY_CRITICAL),
]
FALLBACK_RULE = PolicyRule(action_type="*", autonomy_level=AFTER_APPROVAL)


def ensure_defaults(session: Session) -> None:
    """Store the default rules for action types that have none yet."""
    known = set(session.exec(select(col(m.Policy.action_type), col(m.Policy.scope))).all())
    now = datetime.now(UTC)
    for rule in DEFAULT_RULES:
        if (rule.action_type, rule.scope) not in known:
            session.add(m.Policy(**rule.model_dump(), updated_at=now))
    session.flush()


def rules(session: Session) -> list[PolicyRule]:
    """Every stored rule."""
    stored = session.exec(select(m.Policy).order_by(col(m.Policy.action_type), col(m.Policy.scope)))
    return [PolicyRule.model_validate(row, from_attributes=True) for row in stored]


def _scopes(action: Action) -> list[str]:
    """The scopes an action falls in, most specific first."""
    return [*references(action).scopes, "*"]


def _safety_critical(action: Action) -> bool:
    """Whether the action itself is marked safety-critical (a service of a truck at critical risk)."""
    match action:
        case ScheduleMaintenance(params=params):
            return bool(params.safety_critical)
        case _:
            return False


def rule_for(action: Action, stored: list[PolicyRule]) -> PolicyRule:
    """The most specific stored rule for an action, or the approval-required fallback."""
    by_key = {(rule.action_type, rule.scope): rule for rule in stored}
    for scope in _scopes(action):
        if (action.type, scope) in by_key:
            return by_key[(action.type, scope)]
    return FALLBACK_RULE.model_copy(update={"action_type": action.type})


def _reasons(action: Action, rule: PolicyRule, cost: float, confidence: float, tier: str | None) -> list[str]:
    """Why one action needs a person; empty when it may execute."""
    label = f"{action.type} (level {rule.autonomy_level}, scope {rule.scope})"
    if isinstance(action, RollbackModel):
        return [f"{label}: a change of model version waits for an architect's approval"]
    safety = rule.safety_critical or _safety_critical(action)
    if safety:
        return [f"{label}: safety-critical work is never executed automatically"]
    if rule.autonomy_level == RECOMMEND_ONLY or confidence < RECOMMEND_BELOW_CONFIDENCE:
        return [f"{label}: recommend only; a person acts"]
    if rule.autonomy_level == AFTER_APPROVAL:
        return [f"{label}: executes after approval"]
    if rule.autonomy_level == UNLESS_SAFETY_CRITICAL:
        return []
    reasons = []
    if rule.max_cost_usd is not None and cost > rule.max_cost_usd:
        reasons.append(f"{label}: cost {format_usd(cost)} above the bound {format_usd(rule.max_cost_usd)}")
    if rule.min_confidence is not None and confidence < rule.min_confidence:
        reasons.append(f"{label}: confidence {confidence:.2f} below the bound {rule.min_confidence:.2f}")
    if rule.allowed_tiers and tier not in rule.allowed_tiers:
        reasons.append(f"{label}: customer tier {tier} outside {', '.join(rule.allowed_tiers)}")
    return reasons


def evaluate(
    stored: list[PolicyRule], actions: list[Action], cost_usd: float, confidence: float, tier: str | None = None
) -> PolicyVerdict:
    """Whether a decision's actions may execute now, and why not."""
    if not actions:
        return PolicyVerdict(
            autonomy_level=UNLESS_SAFETY_CRITICAL, requires_approval=False, reasons=["no action to execute"]
        )
    matched = [(action, rule_for(action, stored)) for action in actions]
    reasons = [reason for action, rule in matched for reason in _reasons(action, rule, cost_usd, confidence, tier)]
    level = min(rule.autonomy_level for _, rule in matched)
    return PolicyVerdict(
        autonomy_level=level,
        requires_approval=bool(reasons),
        reasons=reasons or ["within the autonomy bounds of every action"],
    )
