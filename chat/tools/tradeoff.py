"""Chat tools on the architect's trade-off: show the versions in force, and set one for a tier and lane (architects and
admins only) through the same audited, versioned store function as the API."""

from datetime import datetime

from langchain_core.tools import ToolException
from pydantic import BaseModel, Field
from sqlmodel import Session

from agents.toolbox import Toolbox
from agents.twin_facts import twin_record
from chat.tools.arguments import Caller, checked
from tools.evidence import Evidence
from twin import models as m
from twin import tradeoff
from twin.roles import ARCHITECTS

WEIGHT_NAMES = {"on_time": "late-penalty weight", "co2": "CO2 weight"}


class TradeOffArgs(BaseModel):
    """Which scopes of the trade-off: a customer tier, a lane, or every scope in force."""

    tier: str | None = Field(default=None, description="gold, silver or standard; every tier when absent.")
    lane: str | None = Field(default=None, description="A lane such as DAL-HOU; every lane when absent.")


class SetTradeOffArgs(BaseModel):
    """A trade-off to put in force for a scope; a weight left out keeps the one that applies to the scope now."""

    tier: str | None = Field(default=None, description="gold, silver or standard; any tier when absent.")
    lane: str | None = Field(default=None, description="A lane such as DAL-HOU; any lane when absent.")
    on_time: float | None = Field(default=None, description="Weight of late penalties against freight, 0..10.")
    co2: float | None = Field(default=None, description="Weight of CO2 at the carbon price against freight, 0..10.")
    reason: str = Field(min_length=1, max_length=500, description="Why, in the person's words (audited).")


class TradeOffRow(BaseModel):
    """One version of the trade-off: its scope, weights, who set it and why."""

    tier: str
    lane: str
    version: int
    on_time: float
    co2: float
    reason: str
    set_by: str
    set_at: datetime


class TradeOffFacts(BaseModel):
    """The trade-off versions in force (most general first), and the version just set, if one was."""

    rules: list[TradeOffRow]
    changed: TradeOffRow | None = None
    evidence: list[Evidence] = Field(default_factory=list)


def refusal(on_time: float | None, co2: float | None, tier: str | None) -> str | None:
    """Why a trade-off cannot be set with these weights and tier (none given, one out of range, an unknown tier),
    said before the person is asked to confirm."""
    if on_time is None and co2 is None:
        return "say which weight to set: late penalties or CO2, e.g. weight late penalties 2 for gold"
    for name, value in (("on_time", on_time), ("co2", co2)):
        if value is not None and not 0 <= value <= tradeoff.MAX_WEIGHT:
            return (
                f"the {WEIGHT_NAMES[name]} {value:g} is outside 0 to {tradeoff.MAX_WEIGHT:g}; 1 counts it at face "
                "value, 2 twice, 0 ignores it"
            )
    if tier is not None and tier not in tradeoff.TIERS:
        return f"the tier is one of {', '.join(tradeoff.TIERS)}, not {tier}"
    return None


def _row(rule: m.TradeOffRule) -> TradeOffRow:
    """A stored version as the chat shows it."""
    return TradeOffRow.model_validate(rule.model_dump())


def _facts(session: Session, scope: TradeOffArgs, changed: m.TradeOffRule | None = None) -> TradeOffFacts:
    """The versions in force that may apply in the scope asked for (its own and the more general ones; face value
    where no version covers any tier on any lane), with their evidence record."""
    stored = tradeoff.in_force(session)
    general = [] if any((r.tier, r.lane) == (tradeoff.ANY, tradeoff.ANY) for r in stored) else [tradeoff.FACE_VALUE]
    rules = [
        _row(rule)
        for rule in [*general, *stored]
        if scope.tier in (None, tradeoff.ANY, rule.tier) or rule.tier == tradeoff.ANY
        if scope.lane in (None, tradeoff.ANY, rule.lane) or rule.lane == tradeoff.ANY
    ]
    facts = TradeOffFacts(rules=rules, changed=_row(changed) if changed else None)
    facts.evidence = [
        twin_record(f"twin:tradeoff:{scope.tier or 'all'}/{scope.lane or 'all'}", scope.model_dump(), facts)
    ]
    return facts


def tradeoff_in_force(tb: Toolbox, args: TradeOffArgs) -> TradeOffFacts:
    """The trade-off in force per customer tier and lane (of one tier or lane, or all): how much late penalties and
    CO2 weigh against freight, its version, who set it and why; none stored means every cost counts at face value."""
    with tb.session() as session:
        if args.lane:
            args = args.model_copy(update={"lane": checked(session, "lane", args.lane)})
        return _facts(session, args)


class TradeOffActs(Caller):
    """What one caller may do to the trade-off, as `actor` with the caller's role."""

    def set_tradeoff(self, args: SetTradeOffArgs) -> TradeOffFacts:
        """Put a trade-off in force for a customer tier and lane as its next version (architects and admins only): the
        weights of late penalties and CO2 against freight; a weight left out keeps the one that applies now."""
        self.allowed(ARCHITECTS, "set the trade-off")
        if problem := refusal(args.on_time, args.co2, args.tier):
            raise ToolException(problem)
        with self.tb.session() as session:
            lane = checked(session, "lane", args.lane) if args.lane else tradeoff.ANY
            tier = args.tier or tradeoff.ANY
            now = tradeoff.applying(tradeoff.in_force(session), tier, lane)
            on_time = now.on_time if args.on_time is None else args.on_time
            co2 = now.co2 if args.co2 is None else args.co2
            try:
                row = tradeoff.set_tradeoff(session, tier, lane, on_time, co2, args.reason, self.actor)
            except ValueError as error:
                raise ToolException(str(error)) from error
            facts = _facts(session, TradeOffArgs(tier=tier, lane=lane), row)
            session.commit()
        return facts
