"""The architect's trade-off for carrier choice: how much lateness and CO2 weigh against freight, per customer tier
and lane. Each change is a new version of its scope; the most specific scope in force applies to a load."""

from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import func
from sqlmodel import Session, col, select

from twin import access
from twin import models as m
from twin.network import REGIONS

ANY = "*"
TIERS = ("gold", "silver", "standard")
FACE_VALUE = m.TradeOffRule(
    tier=ANY,
    lane=ANY,
    version=0,
    on_time=1.0,
    co2=0.0,
    reason="default: every cost at face value",
    set_by="system",
    set_at=datetime(2026, 1, 1, tzinfo=UTC),
)
MAX_WEIGHT = 10.0


class TradeOffScope(BaseModel):
    """A trade-off asked for one scope, as `SCOPE=on_time:W[,co2:W]` where the scope is a tier, `TIER/LANE` or `*`
    (`gold=on_time:3`, `*/DAL-HOU=co2:1`); a weight left out keeps its face value."""

    tier: str = ANY
    lane: str = ANY
    on_time: float = Field(default=1.0, ge=0, le=MAX_WEIGHT)
    co2: float = Field(default=0.0, ge=0, le=MAX_WEIGHT)

    @classmethod
    def parse(cls, text: str) -> "TradeOffScope":
        """Read `SCOPE=on_time:W[,co2:W]`; ValueError naming what is wrong."""
        scope, sep, weights = text.partition("=")
        if not sep or not weights:
            raise ValueError(f"{text!r} is not SCOPE=on_time:W[,co2:W] (for example gold=on_time:3 or */DAL-HOU=co2:1)")
        tier, _, lane = scope.partition("/")
        if tier != ANY and tier not in TIERS:
            raise ValueError(f"unknown tier {tier!r} in {text!r}; choose {', '.join((ANY, *TIERS))}")
        origin, _, dest = lane.partition("-")
        if lane not in ("", ANY) and not {origin, dest} <= set(REGIONS):
            raise ValueError(f"unknown lane {lane!r} in {text!r}; a lane joins two of {', '.join(REGIONS)}")
        asked: dict[str, float] = {}
        for pair in weights.split(","):
            name, _, value = pair.partition(":")
            if name not in ("on_time", "co2") or name in asked:
                raise ValueError(f"{pair!r} in {text!r} is not on_time:W or co2:W, each at most once")
            try:
                asked[name] = float(value)
            except ValueError:
                raise ValueError(f"{value!r} in {text!r} is not a number") from None
            if not 0 <= asked[name] <= MAX_WEIGHT:
                raise ValueError(f"{name} {asked[name]:g} in {text!r} is outside 0..{MAX_WEIGHT:g}")
        return cls(tier=tier, lane=lane or ANY, **asked)

    def put_in_force(self, session: Session, reason: str, actor: str) -> m.TradeOffRule:
        """Store this scope's weights as its next version (`set_tradeoff`)."""
        return set_tradeoff(session, self.tier, self.lane, self.on_time, self.co2, reason, actor)

    def __str__(self) -> str:
        """The scope as it is written on the command line."""
        scope = self.tier if self.lane == ANY else f"{self.tier}/{self.lane}"
        return f"{scope}=on_time:{self.on_time:g},co2:{self.co2:g}"


def in_force(session: Session) -> list[m.TradeOffRule]:
    """The latest version of every scope, most general first."""
    latest = (
        select(m.TradeOffRule.tier, m.TradeOffRule.lane, func.max(m.TradeOffRule.version).label("version"))
        .group_by(m.TradeOffRule.tier, m.TradeOffRule.lane)
        .subquery()
    )
    statement = select(m.TradeOffRule).join(
        latest,
        (col(m.TradeOffRule.tier) == latest.c.tier)
        & (col(m.TradeOffRule.lane) == latest.c.lane)
        & (col(m.TradeOffRule.version) == latest.c.version),
    )
    return sorted(session.exec(statement).all(), key=lambda r: (r.tier != ANY, r.lane != ANY, r.tier, r.lane))


def applying(rules: list[m.TradeOffRule], tier: str, lane: str) -> m.TradeOffRule:
    """The rule for a load of a tier on a lane: tier and lane, then lane, then tier, then any, else face value."""
    for scope in ((tier, lane), (ANY, lane), (tier, ANY), (ANY, ANY)):
        found = next((rule for rule in rules if (rule.tier, rule.lane) == scope), None)
        if found is not None:
            return found
    return FACE_VALUE


def set_tradeoff(
    session: Session, tier: str, lane: str, on_time: float, co2: float, reason: str, actor: str
) -> m.TradeOffRule:
    """Put a trade-off in force for a scope as its next version, audited with the version before and after; earlier
    versions and decisions are kept. A ValueError names the bad field ("field: why")."""
    before = next((rule for rule in in_force(session) if (rule.tier, rule.lane) == (tier, lane)), None)
    row = _next_version(session, tier, lane, on_time, co2, reason, actor)
    access.audit(
        session,
        actor,
        "tradeoff_updated",
        tier=tier,
        lane=lane,
        before=_audited(before) if before else None,
        after=_audited(row),
    )
    return row


def _audited(rule: m.TradeOffRule) -> dict[str, Any]:
    """A version as the audit trail keeps it."""
    return rule.model_dump(mode="json", exclude={"id"})


def _next_version(
    session: Session, tier: str, lane: str, on_time: float, co2: float, reason: str, actor: str
) -> m.TradeOffRule:
    """The scope's next version, checked and stored."""
    if tier != ANY and tier not in TIERS:
        raise ValueError(f"tier: {tier!r} is not one of {', '.join((ANY, *TIERS))}")
    if lane != ANY and session.get(m.Lane, lane) is None:
        raise ValueError(f"lane: {lane!r} is not a lane of the network")
    for name, value in (("on_time", on_time), ("co2", co2)):
        if not 0 <= value <= MAX_WEIGHT:
            raise ValueError(f"{name}: {value} is outside 0..{MAX_WEIGHT:g}")
    if not reason.strip():
        raise ValueError("reason: say why the trade-off changes")
    current = session.exec(
        select(func.max(m.TradeOffRule.version)).where(m.TradeOffRule.tier == tier, m.TradeOffRule.lane == lane)
    ).one()
    row = m.TradeOffRule(
        tier=tier,
        lane=lane,
        version=(current or 0) + 1,
        on_time=on_time,
        co2=co2,
        reason=reason.strip(),
        set_by=actor,
        set_at=datetime.now(UTC),
    )
    session.add(row)
    session.flush()
    return row
