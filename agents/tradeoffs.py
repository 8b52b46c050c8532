"""The architect's trade-off as decisions cite it: the versions a choice used as evidence, and the sentence a planner
reads."""

from typing import TYPE_CHECKING

from agents.explain import format_number
from agents.schemas import Claim
from tools.evidence import Evidence, Source
from twin import models as m
from twin import tradeoff

if TYPE_CHECKING:  # the tender solver loads only where a plan is made
    from tools import tenders

SOURCE = Source(tool="twin", model="tradeoff", version="live")


def cited(used: list[m.TradeOffRule], requested: "tenders.TradeOff | None") -> Evidence:
    """The trade-off versions a plan used (or the weights asked for, which replace them)."""
    rules = {(rule.tier, rule.lane, rule.version): rule for rule in used}
    facts = {
        "rules": [
            {"tier": t, "lane": lane, "version": v, "on_time": r.on_time, "co2": r.co2, "reason": r.reason}
            for (t, lane, v), r in sorted(rules.items())
        ],
        "requested": requested.model_dump() if requested else None,
    }
    key = "+".join(f"{t}/{lane}/v{v}" for t, lane, v in sorted(rules)) if not requested else "requested"
    return Evidence(id=f"tradeoff:{key}", source=SOURCE, inputs={"requested": facts["requested"]}, facts=facts)


def sentence(weighed: Evidence) -> str:
    """The trade-off a plan used, scope by scope, as a planner reads it."""
    requested = weighed.facts["requested"]
    if requested:
        return (
            f"Trade-off as asked: late penalties weighted {format_number(requested['on_time'])}, CO2 weighted "
            f"{format_number(requested['co2'])} against freight."
        )
    parts = [
        f"{'any tier' if r['tier'] == tradeoff.ANY else r['tier'] + ' customers'} on "
        f"{'any lane' if r['lane'] == tradeoff.ANY else r['lane']}: late penalties weighted "
        f"{format_number(r['on_time'])}, CO2 {format_number(r['co2'])}"
        + (f" (version {r['version']})" if r["version"] else " (face value)")
        for r in weighed.facts["rules"]
    ]
    return "Trade-off in force: " + "; ".join(parts) + "."


def claim(weighed: Evidence) -> Claim:
    """The trade-off sentence, citing the versions it names."""
    return Claim(text=sentence(weighed), evidence_ids=[weighed.id])
