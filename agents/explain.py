"""The justification writer: verified template claims (amounts `1,250.00 USD`, quantities `1,250` `2.5` `0.82`,
confidence `0.86`), optionally rephrased by an LLM whose text is verified again, else the template is kept."""

import logging
import math

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage
from pydantic import BaseModel, Field

from agents.glossary import feature_value, feature_words
from agents.llm import failure
from agents.schemas import Alternative, Claim, ExceptionType, Impact, Justification, Specialist
from agents.verify import ClaimCheck, verify_claim, verify_text
from tools.evidence import Driver, Evidence

logger = logging.getLogger(__name__)

REPHRASE_PROMPT = (
    "Rephrase this decision justification for a logistics dispatcher in plain, short sentences. "
    "Keep every number, code, date and time exactly as written. Add nothing that is not in the text. "
    "Answer with the rephrased text only."
)
KNOWLEDGE_TOOL = "knowledge"
PROCEDURES = "procedures"
IMPACT_PHRASES = {
    "late_deliveries_avoided": "{} late deliveries avoided",
    "units_at_risk": "{} units at risk",
    "downtime_hours": "{} hours of downtime",
}


class ExplainInput(BaseModel):
    """A decision to explain: the specialist's findings, the choice, its impact, confidence, alternatives, evidence."""

    exception_id: str
    exception_type: ExceptionType
    specialist: Specialist
    findings: list[Claim] = Field(description="what happened, what the models say and why, with top drivers")
    chosen: Claim = Field(description="what was chosen")
    expected_impact: Impact = Field(default_factory=Impact)
    impact_evidence_ids: list[str] = Field(default_factory=list)
    confidence: float = Field(ge=0, le=1)
    confidence_evidence_ids: list[str] = Field(default_factory=list)
    alternatives: list[Alternative] = Field(default_factory=list)
    alternatives_evidence_ids: list[str] = Field(default_factory=list)
    evidence: list[Evidence] = Field(description="all of the decision's evidence, procedure search included")


def format_number(value: float) -> str:
    """A quantity as the verifier matches it: `1,250`, `2.5`, `0.82`, `0.0042` (under 1: two significant digits)."""
    magnitude = abs(value)
    decimals = 2 if magnitude == 0 or magnitude >= 1 else 1 - math.floor(math.log10(magnitude))
    text = f"{value:,.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def format_usd(value: float) -> str:
    """A USD amount with thousands separators and cents: `1,250.00 USD`."""
    return f"{value:,.2f} USD"


def describe_drivers(drivers: list[Driver], k: int = 3) -> str:
    """The `k` largest drivers by absolute contribution, in planner words (docs/glossary.md):
    `distance 412 miles (+0.31), carrier CAR-METRO (-0.12)`."""
    strongest = sorted(drivers, key=lambda driver: -abs(driver.contribution))[:k]
    parts = []
    for driver in strongest:
        value = format_number(driver.value) if isinstance(driver.value, int | float) else driver.value
        named = feature_words(driver.feature) if value is None else feature_value(driver.feature, value)
        sign = "+" if driver.contribution >= 0 else ""
        parts.append(f"{named} ({sign}{format_number(driver.contribution)})")
    return ", ".join(parts)


def _sentence(text: str) -> str:
    """`text` stripped and ending with a full stop (or its own ! or ?)."""
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else f"{text}."


def _impact_claim(impact: Impact, evidence_ids: list[str]) -> Claim | None:
    """`Expected cost 1,250.00 USD; 2 late deliveries avoided.` from the impact fields that are set, if any."""
    values = {name: getattr(impact, name) for name in impact.model_fields_set} | (impact.model_extra or {})
    parts = []
    for name, value in sorted(values.items(), key=lambda item: (item[0] != "cost_usd", item[0])):
        if not isinstance(value, int | float) or isinstance(value, bool):
            continue
        if name == "cost_usd":
            parts.append(f"Expected cost {format_usd(value)}")
        elif name.endswith("_usd"):
            parts.append(f"{name.removesuffix('_usd').replace('_', ' ')} {format_usd(value)}")
        else:
            template = IMPACT_PHRASES.get(name, name.replace("_", " ") + " {}")
            parts.append(template.format(format_number(value)))
    return Claim(text=_sentence("; ".join(parts)), evidence_ids=evidence_ids) if parts else None


def _procedure_claim(evidence: list[Evidence], exception_type: ExceptionType) -> Claim | None:
    """`Procedure SOP-LATE-01 (Late shipment recovery) applies.`: the best hit of a search for this type or any."""
    hits = [
        (float(hit["score"]), record.id, hit)
        for record in evidence
        if record.source.tool == KNOWLEDGE_TOOL and record.inputs.get("exception_type") in (None, exception_type)
        for hit in record.facts.get("hits", [])
        if hit.get("collection") == PROCEDURES
    ]
    if not hits:
        return None
    _, evidence_id, best = max(hits, key=lambda item: item[0])
    procedure_id = str(best["id"]).split("#", 1)[0]
    return Claim(text=f"Procedure {procedure_id} ({best['title']}) applies.", evidence_ids=[evidence_id])


def _rejected_claim(alternative: Alternative, evidence_ids: list[str]) -> Claim:
    """`Rejected <name>: <why_not>.`"""
    return Claim(
        text=_sentence(f"Rejected {alternative.name}: {alternative.why_not.strip().rstrip('.')}"),
        evidence_ids=evidence_ids,
    )


def build_claims(inp: ExplainInput) -> list[Claim]:
    """Findings, the choice, the impact, each rejected alternative, the confidence and the procedure, in that order."""
    stated = [*inp.findings, inp.chosen]
    claims = [Claim(text=_sentence(claim.text), evidence_ids=claim.evidence_ids) for claim in stated]
    impact = _impact_claim(inp.expected_impact, inp.impact_evidence_ids)
    claims += [impact] if impact else []
    claims += [_rejected_claim(alternative, inp.alternatives_evidence_ids) for alternative in inp.alternatives]
    claims.append(Claim(text=f"Confidence {inp.confidence:.2f}.", evidence_ids=inp.confidence_evidence_ids))
    procedure = _procedure_claim(inp.evidence, inp.exception_type)
    return claims + ([procedure] if procedure else [])


def _rephrase(llm: BaseChatModel, text: str) -> tuple[str, str | None]:
    """The LLM's rephrasing of `text` (empty when the call fails) and why the call failed, if it did."""
    try:
        answer = llm.invoke([SystemMessage(content=REPHRASE_PROMPT), HumanMessage(content=text)])
    except Exception as error:  # whatever the endpoint did, the template text stands
        logger.warning("rephrasing failed (%s); the template text is kept", failure(error))
        return "", f"LLM call failed: {failure(error)}"
    return answer.text.strip(), None


def justify(
    claims: list[Claim], evidence: list[Evidence], llm: BaseChatModel | None = None, label: str = "decision"
) -> Justification:
    """Verify the claims (dropping and logging any that fail) and, with an LLM, use its verified rephrasing."""
    by_id = {record.id: record for record in evidence}
    read: dict[str, tuple[list[float], list[str]]] = {}  # each evidence record walked once for all the claims
    checks: list[ClaimCheck] = [verify_claim(claim, by_id, read) for claim in claims]
    kept = [check.claim for check in checks if check.ok]
    dropped = [check.claim for check in checks if not check.ok]
    for check in checks:
        if not check.ok:
            logger.warning(
                "claim of %s dropped: %r unsupported=%s unknown evidence=%s",
                label,
                check.claim.text,
                [token.text for token in check.unsupported],
                check.unknown_evidence_ids,
            )
    template = " ".join(claim.text for claim in kept)
    written = Justification(text=template, claims=kept, verified=not dropped, dropped_claims=dropped)
    if llm is None or not kept:
        return written
    rephrased, failed = _rephrase(llm, template)
    if rephrased == template:
        return written
    check = verify_text(rephrased, evidence)
    if rephrased and check.ok:
        return written.model_copy(update={"text": rephrased, "writer": "llm"})
    reason = (
        f"unsupported: {', '.join(token.text for token in check.unsupported)}"
        if rephrased
        else (failed or "empty answer")
    )
    logger.warning("rephrasing of %s rejected: %s", label, reason)
    return written.model_copy(update={"fallback_used": True, "fallback_reason": reason})


def explain(inp: ExplainInput, llm: BaseChatModel | None = None) -> Justification:
    """The justification of a decision: its template claims, verified, optionally rephrased by the LLM."""
    return justify(build_claims(inp), inp.evidence, llm, f"the {inp.specialist} decision on {inp.exception_id}")
