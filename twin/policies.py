"""The stored autonomy rules: one audited write path for every change of a rule (a person, an accepted suggestion,
or an executed governance action)."""

from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session, col, select

from twin import access
from twin import models as m

RECOMMEND_ONLY, AFTER_APPROVAL, WITHIN_BOUNDS, UNLESS_SAFETY_CRITICAL = 1, 2, 3, 4  # the autonomy levels

RULE_FIELDS = (
    "action_type",
    "cohort",
    "level",
    "autonomy_level",
    "max_cost_usd",
    "min_confidence",
    "allowed_tiers",
    "safety_critical",
)


def values(row: m.Policy) -> dict[str, Any]:
    """A stored rule's fields, as audited."""
    return {field: getattr(row, field) for field in RULE_FIELDS}


def save(session: Session, rule: dict[str, Any], actor: str) -> tuple[dict[str, Any] | None, m.Policy]:
    """Insert or replace the stored rule of the rule's action type and cohort; the rule before (None when new)."""
    row = session.exec(
        select(m.Policy).where(col(m.Policy.action_type) == rule["action_type"], col(m.Policy.cohort) == rule["cohort"])
    ).first()
    before = values(row) if row else None
    row = row or m.Policy(action_type=rule["action_type"], cohort=rule["cohort"], updated_at=datetime.now(UTC))
    row.sqlmodel_update({**rule, "updated_by": actor, "updated_at": datetime.now(UTC)})
    session.add(row)
    session.flush()
    return before, row


def change(session: Session, rule: dict[str, Any], actor: str, **context: Any) -> m.Policy:
    """Store a rule as a change, audited as `policy_updated` with the rule before and after."""
    before, row = save(session, rule, actor)
    access.audit(
        session,
        actor,
        "policy_updated",
        action_type=rule["action_type"],
        cohort=rule["cohort"],
        before=before,
        after=values(row),
        **context,
    )
    return row


def of_types(session: Session, action_types: list[str]) -> list[m.Policy]:
    """The stored rules of some action types, by action type and cohort."""
    return list(
        session.exec(
            select(m.Policy)
            .where(col(m.Policy.action_type).in_(action_types))
            .order_by(col(m.Policy.action_type), col(m.Policy.cohort))
        ).all()
    )
