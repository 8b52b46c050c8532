"""The policy gate: autonomy per action type and cohort (lane, site or carrier patterns), cost and confidence bounds.

A rule's level says what the desk does with an action type in a cohort: `off` (propose nothing), `shadow` (decide and
record what it would have done, execute nothing), `recommend` (a person approves) or `act` (execute within bounds).
Its autonomy level (1..4) refines the level: 1 or 2 under `recommend`, 3 (bounds) or 4 (unless safety-critical) under
`act`; under `shadow` it is the autonomy the shadow decision reports it would have had.

Precedence, for an action whose cohort is its lane, site and carrier (see `cohort_of`): among the rules of its action
type whose pattern matches one of those codes, an exact code beats a pattern; between exact codes, lane before site
before carrier; between patterns, the one with more literal characters wins (`DAL-*` before `*`), then lane before
site before carrier, then the pattern's spelling; with no match, the approval-required fallback applies.
"""

import re
from datetime import UTC, datetime
from fnmatch import fnmatchcase
from typing import Annotated, Any, get_args

from pydantic import AfterValidator, BaseModel, Field, ValidationInfo, field_validator, model_validator
from sqlmodel import Session, col, select

from agents.explain import format_usd
from agents.schemas import Action, Level, PolicyVerdict
from twin import models as m
from twin import policies
from twin.actions import ACTION_TYPES, GOVERNANCE_ACTIONS, PlanTenders, ScheduleMaintenance, references
from twin.db import insert_missing
from twin.policies import AFTER_APPROVAL, RECOMMEND_ONLY, UNLESS_SAFETY_CRITICAL, WITHIN_BOUNDS

AUTO_COST_LIMIT_USD = 2500.0  # SOP-AUTH-01: up to 2,500 USD may execute within bounds
AUTO_MIN_CONFIDENCE = 0.80  # SOP-AUTH-01: at least 0.80 to execute within bounds
RECOMMEND_BELOW_CONFIDENCE = 0.60  # SOP-AUTH-01: below 0.60 recommend only

DEFAULT_AUTONOMY: dict[str, int] = {"off": WITHIN_BOUNDS, "shadow": WITHIN_BOUNDS, "recommend": AFTER_APPROVAL}
COHORT_PATTERN = re.compile(r"^(\*|[A-Z0-9*]+(-[A-Z0-9*]+)*)$")
DIMENSIONS = ("lane", "site", "carrier")


def checked_pattern(value: str) -> str:
    """A cohort pattern: `*`, or upper-case codes joined by `-` with `*` wildcards (`DAL-*`, `DC-HOU`, `CAR-*`)."""
    if len(value) > 64 or not COHORT_PATTERN.match(value):
        raise ValueError(
            f"cohort {value!r} is not `*` or a lane, site or carrier pattern such as DAL-*, DC-HOU or CAR-REDRIVER"
        )
    return value


CohortPattern = Annotated[str, AfterValidator(checked_pattern)]


def level_of(autonomy_level: int) -> Level:
    """The level an autonomy level belongs to: 1 and 2 recommend, 3 and 4 act."""
    return "recommend" if autonomy_level <= AFTER_APPROVAL else "act"


class Autonomy(BaseModel):
    """What the desk may do with an action type: the level, the autonomy level that refines it, and the bounds."""

    autonomy_level: int = Field(
        ge=1, le=4, description="1 recommend only, 2 after approval, 3 within bounds, 4 unless safety-critical."
    )
    level: Level = Field(
        description="off (propose nothing), shadow (record what it would do, execute nothing), recommend (approval "
        "required, autonomy level 1 or 2) or act (within bounds, autonomy level 3 or 4). Either this or the "
        "autonomy level may be left out: one is read from the other."
    )
    max_cost_usd: float | None = Field(default=None, ge=0, description="Level 3: the most a decision may cost.")
    min_confidence: float | None = Field(default=None, ge=0, le=1, description="Level 3: the least confidence.")
    allowed_tiers: list[str] = Field(default_factory=list, description="Level 3: customer tiers (empty: all).")
    safety_critical: bool = False

    @model_validator(mode="before")
    @classmethod
    def _either(cls, data: Any) -> Any:
        """Read a missing level from the autonomy level, or a missing autonomy level from the level."""
        if not isinstance(data, dict):
            return data
        autonomy, level = data.get("autonomy_level"), data.get("level")
        if level is None and isinstance(autonomy, int):
            return {**data, "level": level_of(autonomy)}
        if autonomy is None and isinstance(level, str):
            return {**data, "autonomy_level": DEFAULT_AUTONOMY.get(level, WITHIN_BOUNDS)}
        return data

    @field_validator("level")
    @classmethod
    def _fits_autonomy(cls, level: Level, info: ValidationInfo) -> Level:
        """`recommend` takes autonomy level 1 or 2, `act` 3 or 4."""
        autonomy = info.data.get("autonomy_level")
        if autonomy is not None and level in ("recommend", "act") and level_of(autonomy) != level:
            raise ValueError(f"level {level} does not go with autonomy level {autonomy} (recommend: 1-2, act: 3-4)")
        return level


class PolicyRule(Autonomy):
    """The autonomy of one action type in one cohort (`*`, or a lane, site or carrier pattern such as `DAL-*`)."""

    action_type: str
    cohort: CohortPattern = "*"


class Cohort(BaseModel):
    """The lane, site and carrier an action is about, read from its subject."""

    lane: str | None = None
    site: str | None = None
    carrier: str | None = None

    def codes(self) -> list[tuple[int, str]]:
        """The cohort's codes, each with its dimension's rank (lane 0, site 1, carrier 2)."""
        return [(rank, code) for rank, code in enumerate((self.lane, self.site, self.carrier)) if code]

    def label(self) -> str:
        """The cohort as a person reads it."""
        named = zip(DIMENSIONS, (self.lane, self.site, self.carrier), strict=True)
        return ", ".join(f"{name} {code}" for name, code in named if code) or "any"


def _rule(action_type: str, autonomy_level: int) -> PolicyRule:
    """A rule at an autonomy level, at the level it belongs to, with no bounds."""
    return PolicyRule(action_type=action_type, autonomy_level=autonomy_level, level=level_of(autonomy_level))


def _bounded(action_type: str, limit: float = AUTO_COST_LIMIT_USD) -> PolicyRule:
    """A level-3 rule with the procedure's default bounds."""
    return _rule(action_type, WITHIN_BOUNDS).model_copy(
        update={"max_cost_usd": limit, "min_confidence": AUTO_MIN_CONFIDENCE}
    )


DEFAULT_RULES = [
    _rule("notify_customer", UNLESS_SAFETY_CRITICAL),
    _bounded("expedite_shipment", 1500.0),  # SOP-AUTH-01: gold expedite limit
    _rule("switch_carrier", AFTER_APPROVAL),  # SOP-LATE-01: confirm the cause first
    _bounded("retender_loads"),
    _rule("book_spot", AFTER_APPROVAL),  # SOP-AUTH-01: spot above contract
    _bounded("replan_route"),
    _bounded("tender_stops"),
    _bounded("book_carrier"),
    _bounded("plan_tenders"),
    _bounded("transfer_stock"),
    _rule("expedite_purchase", AFTER_APPROVAL),
    _bounded("place_purchase_order"),
    _bounded("raise_safety_stock"),
    _bounded("set_reorder_point"),
    _rule("schedule_maintenance", UNLESS_SAFETY_CRITICAL),
    _rule("rollback_model", AFTER_APPROVAL),  # a model change waits for an architect at any level
    _rule("recommend_retraining", AFTER_APPROVAL),
    _rule("lower_autonomy", AFTER_APPROVAL),
]
FALLBACK_RULE = _rule("*", AFTER_APPROVAL)


def default_rule(action_type: str) -> PolicyRule:
    """The procedure's default rule of an action type (the fallback when it has none)."""
    found = next((rule for rule in DEFAULT_RULES if rule.action_type == action_type), None)
    return found or FALLBACK_RULE.model_copy(update={"action_type": action_type})


def at_level(action_type: str, cohort: str, level: Level) -> PolicyRule:
    """A rule of an action type in a cohort at a level, keeping the default rule's bounds: `act` keeps a default
    that acts and otherwise acts within the procedure's bounds; `recommend` asks after approval."""
    base = default_rule(action_type)
    if level == "act" and base.level != "act":
        base = _bounded(action_type)
    if level == "recommend" and base.level != "recommend":
        base = _rule(action_type, AFTER_APPROVAL)
    return PolicyRule.model_validate({**base.model_dump(), "cohort": cohort, "level": level})


class CohortLevel(BaseModel):
    """One cohort's level for every action type, as `PATTERN=LEVEL` (`DAL-*=act`, `*=shadow`)."""

    cohort: CohortPattern
    level: Level

    @classmethod
    def parse(cls, text: str) -> "CohortLevel":
        """Read `PATTERN=LEVEL`; ValueError naming what is wrong."""
        pattern, sep, level = text.partition("=")
        if not sep:
            raise ValueError(f"{text!r} is not PATTERN=LEVEL (for example DAL-*=act)")
        if level not in get_args(Level):
            raise ValueError(f"unknown level {level!r} in {text!r}; choose {', '.join(get_args(Level))}")
        return cls.model_validate({"cohort": checked_pattern(pattern), "level": level})

    def rules(self) -> list[PolicyRule]:
        """The rule of every action type at this cohort's level."""
        return [at_level(action_type, self.cohort, self.level) for action_type in ACTION_TYPES]


def ensure_defaults(session: Session) -> None:
    """Store the default rules for action types that have none yet (safe when several processes start at once)."""
    now = datetime.now(UTC)
    rows = [{**rule.model_dump(), "updated_by": "system", "updated_at": now} for rule in DEFAULT_RULES]
    insert_missing(session, m.Policy, rows, ["action_type", "cohort"])


def rules(session: Session) -> list[PolicyRule]:
    """Every stored rule."""
    stored = session.exec(select(m.Policy).order_by(col(m.Policy.action_type), col(m.Policy.cohort)))
    return [PolicyRule.model_validate(row, from_attributes=True) for row in stored]


def save_rule(session: Session, rule: PolicyRule, actor: str) -> tuple[PolicyRule | None, m.Policy]:
    """Insert or replace the stored rule of the rule's action type and cohort; the rule before (None when new)."""
    before, row = policies.save(session, rule.model_dump(), actor)
    return (PolicyRule.model_validate(before) if before else None), row


def change_rule(session: Session, rule: PolicyRule, actor: str, **context: Any) -> m.Policy:
    """Store a rule as a person's change, audited as `policy_updated` with the rule before and after."""
    return policies.change(session, rule.model_dump(), actor, **context)


def cohort_of(session: Session, action: Action) -> Cohort:
    """The cohort of an action, from its subject: a shipment's lane, origin site and carrier; a truck's home site; a
    stock position's site; a lane or carrier it names. Plans over many lanes (tender plans) have none: only `*`
    rules apply to them."""
    if isinstance(action, PlanTenders):
        return Cohort()
    named = references(action)
    lanes = [code for code in named.scopes if session.get(m.Lane, code) is not None]
    sites = [code for code in named.scopes if code not in lanes]
    cohort = Cohort(
        lane=lanes[0] if lanes else None,
        site=sites[-1] if sites else None,
        carrier=named.carriers[0] if len(named.carriers) == 1 else None,
    )
    if named.shipments and (shipment := session.get(m.Shipment, named.shipments[0])):
        cohort = Cohort(
            lane=cohort.lane or shipment.lane,
            site=cohort.site or shipment.origin,
            carrier=cohort.carrier or shipment.carrier,
        )
    if named.trucks and not cohort.site and (truck := session.get(m.Vehicle, named.trucks[0])):
        cohort = cohort.model_copy(update={"site": truck.home_dc})
    return cohort


def _rank(rule: PolicyRule, cohort: Cohort) -> tuple[bool, int, int, str] | None:
    """How specifically a rule's pattern matches a cohort (smaller is more specific), None when it does not."""
    exact = "*" not in rule.cohort
    literal = 0 if exact else len(rule.cohort.replace("*", ""))
    ranks = [rank for rank, code in cohort.codes() if fnmatchcase(code, rule.cohort)]
    if rule.cohort == "*":
        ranks = [len(DIMENSIONS)]
    if not ranks:
        return None
    return (not exact, -literal, min(ranks), rule.cohort)


def rule_for(action: Action, cohort: Cohort, stored: list[PolicyRule]) -> PolicyRule:
    """The most specific stored rule for an action in its cohort (see the module's precedence), or the fallback."""
    return rule_of(action.type, cohort, stored)


def rule_of(action_type: str, cohort: Cohort, stored: list[PolicyRule]) -> PolicyRule:
    """The most specific stored rule of an action type in a cohort (see the module's precedence), or the fallback."""
    ranked = [
        (rank, rule) for rule in stored if rule.action_type == action_type and (rank := _rank(rule, cohort)) is not None
    ]
    if ranked:
        return min(ranked, key=lambda pair: pair[0])[1]
    return FALLBACK_RULE.model_copy(update={"action_type": action_type})


def _safety_critical(action: Action) -> bool:
    """Whether the action itself is marked safety-critical (a service of a truck at critical risk)."""
    match action:
        case ScheduleMaintenance(params=params):
            return bool(params.safety_critical)
        case _:
            return False


def _reasons(action: Action, rule: PolicyRule, cost: float, confidence: float, tier: str | None) -> list[str]:
    """Why one action needs a person; empty when it may execute."""
    label = f"{action.type} (level {rule.autonomy_level}, cohort {rule.cohort})"
    if action.type in GOVERNANCE_ACTIONS:
        return [f"{label}: the governance of a model waits for an architect's approval"]
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


def withheld(stored: list[PolicyRule], actions: list[Action], cohorts: list[Cohort]) -> dict[int, str]:
    """The actions not proposed because their rule in their cohort is `off`: index and reason."""
    return {
        index: f"{action.type} is off for {cohort.label()} (cohort {rule.cohort}): not proposed"
        for index, (action, cohort) in enumerate(zip(actions, cohorts, strict=True))
        if (rule := rule_for(action, cohort, stored)).level == "off"
    }


def evaluate(
    stored: list[PolicyRule],
    actions: list[Action],
    cohorts: list[Cohort],
    cost_usd: float,
    confidence: float,
    tier: str | None = None,
) -> PolicyVerdict:
    """Whether a decision's actions may execute now, and why not; under a shadow rule, nothing executes and the
    verdict says what the gate would have done (a plan with one shadowed action is shadowed whole)."""
    if not actions:
        return PolicyVerdict(
            autonomy_level=UNLESS_SAFETY_CRITICAL, requires_approval=False, reasons=["no action to execute"]
        )
    matched = [(action, rule_for(action, cohort, stored)) for action, cohort in zip(actions, cohorts, strict=True)]
    reasons = [reason for action, rule in matched for reason in _reasons(action, rule, cost_usd, confidence, tier)]
    level = min(rule.autonomy_level for _, rule in matched)
    shadowed = [
        f"{action.type} is in shadow in cohort {rule.cohort}" for action, rule in matched if rule.level == "shadow"
    ]
    if shadowed:
        would = "pending_approval" if reasons else "executed"
        return PolicyVerdict(
            autonomy_level=level,
            requires_approval=False,
            level="shadow",
            would_have=would,
            reasons=[*shadowed, *reasons] if reasons else [*shadowed, "it would have executed within its bounds"],
        )
    return PolicyVerdict(
        autonomy_level=level,
        requires_approval=bool(reasons),
        level="recommend" if reasons else "act",
        reasons=reasons or ["within the autonomy bounds of every action"],
    )
