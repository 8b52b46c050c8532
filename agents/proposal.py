"""What a specialist hands back: candidate plans compared on expected cost, the chosen one, and its evidence."""

from typing import Literal

from pydantic import BaseModel, Field

from agents.explain import format_number, format_usd
from agents.schemas import Action, Alternative, Claim, Impact, Specialist
from tools.evidence import Evidence, Source

PLAN_MODEL = Source(tool="plan_comparison", model="expected-cost", version="1")


class PlanOption(BaseModel):
    """A candidate plan: its direct cost, the expected penalty it leaves, and whether it is feasible."""

    name: str
    actions: list[Action]
    cost_usd: float
    expected_penalty_usd: float = 0.0
    impact: Impact = Field(default_factory=Impact)
    feasible: bool = True
    infeasible_reason: str | None = None

    @property
    def expected_total_usd(self) -> float:
        """Direct cost plus expected penalty."""
        return round(self.cost_usd + self.expected_penalty_usd, 2)


class Handoff(BaseModel):
    """A request from one specialist to another, e.g. maintenance asking routing to re-plan a truck's stops."""

    to: Specialist
    reason: str
    request: dict = Field(default_factory=dict)


class Proposal(BaseModel):
    """A specialist's answer: the chosen plan, the rejected ones, the evidence and the sentences that explain it."""

    specialist: Specialist
    status: Literal["proposed", "no_action", "needs_info"]
    actions: list[Action] = Field(default_factory=list)
    expected_impact: Impact = Field(default_factory=Impact)
    confidence: float = 0.0
    alternatives: list[Alternative] = Field(default_factory=list)
    evidence: list[Evidence] = Field(default_factory=list)
    findings: list[Claim] = Field(default_factory=list)
    chosen: Claim | None = None
    plan_evidence_id: str | None = None
    handoff: Handoff | None = None
    missing: list[str] = Field(default_factory=list)


def needs_info(specialist: Specialist, missing: list[str], reason: str, found: Evidence,
               status: Literal["needs_info", "no_action"] = "needs_info") -> Proposal:
    """A proposal that stops at a fact of the twin: more information is needed, or nothing is to be done."""
    return Proposal(specialist=specialist, status=status, missing=missing, evidence=[found],
                    chosen=Claim(text=reason, evidence_ids=[found.id]), confidence=1.0 if status == "no_action" else 0.0)


def compare_plans(subject: str, options: list[PlanOption], confidence: float,
                  extra_facts: dict | None = None) -> tuple[PlanOption, list[Alternative], Evidence]:
    """Pick the feasible plan with the lowest expected total cost; explain why each other plan lost."""
    feasible = [option for option in options if option.feasible]
    chosen = min(feasible, key=lambda option: (option.expected_total_usd, option.name))
    alternatives = []
    for option in options:
        if option is chosen:
            continue
        if not option.feasible:
            why_not = option.infeasible_reason or "not feasible"
        else:
            why_not = (f"expected total {format_usd(option.expected_total_usd)} against "
                       f"{format_usd(chosen.expected_total_usd)} for {chosen.name}")
        alternatives.append(Alternative(name=option.name, actions=option.actions, expected_impact=option.impact,
                                        why_not=why_not))
    facts = {
        "chosen": chosen.name,
        "confidence": round(confidence, 2),
        "options": {
            option.name: {
                **option.impact.model_dump(exclude_none=True),
                "cost_usd": round(option.cost_usd, 2),
                "expected_penalty_usd": round(option.expected_penalty_usd, 2),
                "expected_total_usd": option.expected_total_usd,
                "feasible": option.feasible,
            }
            for option in options
        },
        **(extra_facts or {}),
    }
    evidence = Evidence(id=f"plans:{subject}", source=PLAN_MODEL, inputs={"subject": subject}, facts=facts)
    return chosen, alternatives, evidence


def decided(specialist: Specialist, chosen: PlanOption, alternatives: list[Alternative], plan: Evidence,
            evidence: list[Evidence], findings: list[Claim], chosen_text: str, confidence: float,
            handoff: Handoff | None = None) -> Proposal:
    """The proposal for a chosen plan; a chosen plan without actions is a no-action decision."""
    return Proposal(
        specialist=specialist,
        status="proposed" if chosen.actions else "no_action",
        actions=chosen.actions,
        expected_impact=chosen.impact.model_copy(update={"cost_usd": round(chosen.cost_usd, 2)}),
        confidence=round(confidence, 2),
        alternatives=alternatives,
        evidence=[*evidence, plan],
        findings=findings,
        chosen=Claim(text=chosen_text, evidence_ids=[plan.id]),
        plan_evidence_id=plan.id,
        handoff=handoff,
    )


def pct(value: float) -> str:
    """A probability written as the verifier matches it (0.82)."""
    return format_number(round(value, 2))
