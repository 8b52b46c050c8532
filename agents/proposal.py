"""What a specialist hands back: candidate whole plans (hand-offs included) compared on expected cost, the chosen one,
and its evidence."""

from typing import Any, Literal

from pydantic import BaseModel, Field

from agents.explain import format_number, format_usd
from agents.schemas import Action, Alternative, Claim, Impact, Specialist
from tools.evidence import Evidence, Source
from twin.actions import plan_cost

PLAN_MODEL = Source(tool="plan_comparison", model="expected-cost", version="1")


class PlanOption(BaseModel):
    """A candidate plan: its actions (each priced), the expected penalty it leaves, and whether it is feasible.

    Its cost is the sum of its actions' costs, hand-offs included: a plan that needs another specialist carries the
    helper's chosen actions and its proposal in `helpers`.
    """

    name: str
    actions: list[Action] = Field(default_factory=list)
    expected_penalty_usd: float = Field(default=0.0, ge=0)
    penalty_weight: float = Field(
        default=1.0,
        ge=0,
        description="USD of cost one USD of expected penalty is worth: the trade-off's on-time weight",
    )
    impact: Impact = Field(default_factory=Impact)
    feasible: bool = True
    infeasible_reason: str | None = None
    helpers: list["Proposal"] = Field(default_factory=list)

    @property
    def cost_usd(self) -> float:
        """Direct cost: the sum of the actions' costs."""
        return plan_cost(self.actions)

    @property
    def expected_total_usd(self) -> float:
        """Direct cost plus expected penalty."""
        return round(self.cost_usd + self.expected_penalty_usd, 2)

    @property
    def objective_usd(self) -> float:
        """What the choice minimises: direct cost plus the expected penalty under its weight."""
        return round(self.cost_usd + self.penalty_weight * self.expected_penalty_usd, 2)

    def expected_impact(self) -> Impact:
        """The plan's impact with its cost, expected penalty and expected total."""
        return self.impact.model_copy(
            update={
                "cost_usd": self.cost_usd,
                "expected_penalty_usd": round(self.expected_penalty_usd, 2),
                "expected_total_usd": self.expected_total_usd,
            }
        )

    def with_helper(self, helper: "Proposal") -> "PlanOption":
        """This plan completed by another specialist's answer to its hand-off: its actions and cost join the plan."""
        if helper.status != "proposed":
            return self
        return self.model_copy(
            update={
                "actions": [*self.actions, *helper.actions],
                "expected_penalty_usd": self.expected_penalty_usd
                + helper.expected_impact.model_dump().get("expected_penalty_usd", 0.0),
                "helpers": [*self.helpers, helper],
            }
        )


class Handoff(BaseModel):
    """A request from one specialist to another, resolved before plans are compared (e.g. maintenance asking routing
    to re-plan a truck's stops)."""

    to: Specialist
    reason: str
    request: dict[str, Any] = Field(default_factory=dict)


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
    helpers: list["Proposal"] = Field(default_factory=list)
    missing: list[str] = Field(default_factory=list)

    def stated(self) -> Claim:
        """The sentence of the chosen plan (or of the stop): every finished proposal has one."""
        if self.chosen is None:
            raise ValueError(f"the {self.specialist} proposal states no chosen plan")
        return self.chosen

    def plan_id(self) -> str:
        """The id of the evidence that compares the plans: every proposal with a chosen plan has one."""
        if self.plan_evidence_id is None:
            raise ValueError(f"the {self.specialist} proposal has no plan comparison")
        return self.plan_evidence_id


CONFIDENCE_RULE = Source(tool="rule", model="twin-fact", version="1")


def needs_info(
    specialist: Specialist,
    missing: list[str],
    reason: str,
    found: Evidence,
    status: Literal["needs_info", "no_action"] = "needs_info",
) -> Proposal:
    """A proposal that stops at a fact of the twin: more information is needed, or nothing is to be done.

    Its confidence is a stated rule: a fact read from the twin is certain (1.0) that nothing is to be done; a
    missing fact leaves no confidence (0.0)."""
    rule = Evidence(
        id=f"rule:confidence:{found.id}",
        source=CONFIDENCE_RULE,
        inputs={"fact": found.id},
        facts={
            "rule": "a stop on a twin fact: 1.0 when the fact settles it, 0.0 when facts are missing",
            "confidence": 1.0 if status == "no_action" else 0.0,
        },
    )
    return Proposal(
        specialist=specialist,
        status=status,
        missing=missing,
        evidence=[found, rule],
        chosen=Claim(text=reason, evidence_ids=[found.id]),
        confidence=rule.facts["confidence"],
    )


def why_not(option: PlanOption, chosen: PlanOption, reason: str | None = None) -> str:
    """Why a plan lost: its expected total against the chosen plan's, or the non-cost reason that rules it out."""
    if not option.feasible:
        return option.infeasible_reason or "not feasible"
    figures = (
        f"expected total {format_usd(option.expected_total_usd)} against "
        f"{format_usd(chosen.expected_total_usd)} for {chosen.name}"
    )
    if chosen.penalty_weight != 1:
        figures = (
            f"{figures}; with expected penalties weighted {format_number(chosen.penalty_weight)} by the trade-off, "
            f"{format_usd(option.objective_usd)} against {format_usd(chosen.objective_usd)}"
        )
    return f"{reason}; {figures}" if reason else figures


def compare_plans(
    subject: str, options: list[PlanOption], confidence: float, extra_facts: dict[str, Any] | None = None
) -> tuple[PlanOption, list[Alternative], Evidence]:
    """Pick the feasible whole plan with the lowest objective (the expected total cost, its penalty weighted by the
    trade-off in force); explain why each other plan lost."""
    feasible = [option for option in options if option.feasible]
    chosen = min(feasible, key=lambda option: (option.objective_usd, option.name))
    alternatives = [
        Alternative(
            name=option.name,
            actions=option.actions,
            expected_impact=option.expected_impact(),
            why_not=why_not(option, chosen),
        )
        for option in options
        if option is not chosen
    ]
    facts = {
        "chosen": chosen.name,
        "confidence": round(confidence, 2),
        "options": {
            option.name: {
                **option.expected_impact().model_dump(exclude_none=True),
                "feasible": option.feasible,
                "action_costs_usd": [{"type": item.type, "cost_usd": item.params.cost_usd} for item in option.actions],
                **(
                    {"penalty_weight": option.penalty_weight, "objective_usd": option.objective_usd}
                    if option.penalty_weight != 1
                    else {}
                ),
            }
            for option in options
        },
        **(extra_facts or {}),
    }
    evidence = Evidence(id=f"plans:{subject}", source=PLAN_MODEL, inputs={"subject": subject}, facts=facts)
    return chosen, alternatives, evidence


def decided(
    specialist: Specialist,
    chosen: PlanOption,
    alternatives: list[Alternative],
    plan: Evidence,
    evidence: list[Evidence],
    findings: list[Claim],
    chosen_text: str,
    confidence: float,
) -> Proposal:
    """The proposal for a chosen whole plan; a chosen plan without actions is a no-action decision."""
    return Proposal(
        specialist=specialist,
        status="proposed" if chosen.actions else "no_action",
        actions=chosen.actions,
        expected_impact=chosen.expected_impact(),
        confidence=round(confidence, 2),
        alternatives=alternatives,
        evidence=[*evidence, plan],
        findings=findings,
        chosen=Claim(text=chosen_text, evidence_ids=[plan.id]),
        plan_evidence_id=plan.id,
        helpers=chosen.helpers,
    )


def pct(value: float) -> str:
    """A probability written as the verifier matches it (0.82)."""
    return format_number(round(value, 2))
