"""The public shapes: an exception coming in and the decision going out."""

from datetime import datetime
from enum import StrEnum
from typing import Literal, Self

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from tools.evidence import Evidence
from twin import models as m
from twin.actions import Action


class ExceptionType(StrEnum):
    """The kinds of exception the desk handles."""

    late_shipment = "late_shipment"
    stockout_risk = "stockout_risk"
    equipment_failure_risk = "equipment_failure_risk"
    carrier_capacity = "carrier_capacity"
    demand_spike = "demand_spike"
    tender_plan = "tender_plan"
    maintenance_plan = "maintenance_plan"
    positioning_plan = "positioning_plan"
    model_drift = "model_drift"


Specialist = Literal["routing", "inventory", "maintenance", "governance"]
DecisionStatus = Literal[
    "executed",
    "pending_approval",
    "rejected",
    "overridden",
    "needs_info",
    "no_action",
    "superseded",
    "expired",
    "shadowed",
]
Level = Literal["off", "shadow", "recommend", "act"]  # what the desk does with an action type in a cohort

SPECIALIST_FOR: dict[ExceptionType, Specialist] = {
    ExceptionType.late_shipment: "routing",
    ExceptionType.carrier_capacity: "routing",
    ExceptionType.stockout_risk: "inventory",
    ExceptionType.demand_spike: "inventory",
    ExceptionType.equipment_failure_risk: "maintenance",
    ExceptionType.tender_plan: "routing",
    ExceptionType.maintenance_plan: "maintenance",
    ExceptionType.positioning_plan: "inventory",
    ExceptionType.model_drift: "governance",
}


PLANNING = frozenset(  # scheduled plans, not found
    {ExceptionType.tender_plan, ExceptionType.maintenance_plan, ExceptionType.positioning_plan}
)
GOVERNANCE = frozenset({ExceptionType.model_drift})  # about the desk's own models, not the network
FOUND = [kind for kind in ExceptionType if kind not in PLANNING | GOVERNANCE]  # what is found on the network


class Refs(BaseModel):
    """Codes of the twin an exception is about."""

    model_config = ConfigDict(extra="forbid")

    shipment_id: str | None = Field(default=None, min_length=1, max_length=64, examples=["SHP-000123"])
    sku: str | None = Field(default=None, min_length=1, max_length=64, examples=["SKU-0042"])
    location: str | None = Field(default=None, min_length=1, max_length=64, examples=["DC-DAL"])
    asset_id: str | None = Field(default=None, min_length=1, max_length=64, examples=["TRK-007"])
    lane: str | None = Field(default=None, min_length=1, max_length=64, examples=["DAL-HOU"])
    carrier: str | None = Field(default=None, min_length=1, max_length=64, examples=["CAR-REDRIVER"])
    day: str | None = Field(
        default=None, pattern=r"^\d{4}-\d{2}-\d{2}$", examples=["2026-11-10"], description="A planned day"
    )
    model: str | None = Field(
        default=None, min_length=1, max_length=64, examples=["xgb-late-risk"], description="A trained model"
    )

    def present(self) -> dict[str, str]:
        """The references that are set."""
        return self.model_dump(exclude_none=True)


class ExceptionIn(BaseModel):
    """An exception reported by a system of record, a detector or a person."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"type": "late_shipment", "refs": {"shipment_id": "SHP-009420"}, "severity": "high", "source": "tms"},
                {"description": "Truck TRK-007 is running hot and losing oil pressure", "source": "chat"},
            ]
        },
    )

    type: ExceptionType | None = None
    description: str | None = Field(default=None, max_length=4000)
    refs: Refs = Field(default_factory=Refs)
    severity: Literal["low", "medium", "high", "critical"] = "medium"
    source: str = Field(default="api", min_length=1, max_length=64)
    occurred_at: AwareDatetime | None = None
    external_id: str | None = Field(default=None, min_length=1, max_length=128)

    @classmethod
    def of(cls, record: m.ExceptionRecord) -> Self:
        """The exception as it was reported, from its stored row."""
        return cls.model_validate(record, from_attributes=True)

    @model_validator(mode="after")
    def _needs_type_or_description(self) -> "ExceptionIn":
        """Free text is required when the type is absent."""
        if self.type is None and not (self.description and self.description.strip()):
            raise ValueError("description is required when type is absent")
        return self


class Impact(BaseModel):
    """The expected effect of a plan."""

    model_config = ConfigDict(extra="allow")

    cost_usd: float = Field(
        default=0.0, ge=0, description="What the plan spends, USD; a saving is `saving_usd`, never a negative cost."
    )
    saving_usd: float | None = Field(default=None, ge=0)
    expected_penalty_usd: float | None = Field(default=None, ge=0)
    expected_total_usd: float | None = Field(default=None, ge=0)
    late_deliveries_avoided: float | None = None
    units_at_risk: float | None = None
    downtime_hours: float | None = None


class Alternative(BaseModel):
    """A plan the specialist considered and rejected."""

    name: str
    actions: list[Action] = Field(default_factory=list)
    expected_impact: Impact = Field(default_factory=Impact)
    why_not: str


class Claim(BaseModel):
    """One sentence of a justification and the evidence it rests on."""

    text: str
    evidence_ids: list[str]


class Justification(BaseModel):
    """The human-readable explanation of a decision."""

    text: str
    claims: list[Claim]
    verified: bool = True
    fallback_used: bool = False
    fallback_reason: str | None = None
    dropped_claims: list[Claim] = Field(default_factory=list)
    writer: str = "template"


class PolicyVerdict(BaseModel):
    """What the policy gate said about a decision."""

    autonomy_level: int
    requires_approval: bool
    reasons: list[str] = Field(default_factory=list)
    level: Level | None = Field(
        default=None, description="The strictest level applied: shadow, recommend (approval) or act."
    )
    would_have: Literal["executed", "pending_approval"] | None = Field(
        default=None, description="Shadow decisions: what the gate would have done; nothing was executed."
    )


OutcomeStatus = Literal["achieved", "not_achieved", "pending"]


class Outcome(BaseModel):
    """Whether an executed decision achieved what it meant to on the twin, and the facts that show it."""

    status: OutcomeStatus
    goal: str
    since: datetime  # the twin's time from which the decision's effect is watched
    checked_at: datetime  # the twin's time of the last check
    evidence: Evidence


class Decision(BaseModel):
    """A specialist's decision on an exception, with its evidence and justification."""

    decision_id: str
    exception_id: str
    specialist: Specialist | None
    status: DecisionStatus
    actions: list[Action] = Field(default_factory=list)
    expected_impact: Impact = Field(default_factory=Impact)
    confidence: float = Field(default=0.0, ge=0, le=1)
    alternatives: list[Alternative] = Field(default_factory=list)
    evidence: list[Evidence] = Field(default_factory=list)
    justification: Justification | None = None
    policy: PolicyVerdict | None = None
    handoffs: list[str] = Field(default_factory=list)
    missing: list[str] = Field(default_factory=list)
    trace_id: str
    created_at: datetime | None = None
    outcome: Outcome | None = None
    duplicate_of: str | None = Field(
        default=None,
        description="Set on the answer to an exception merged into an earlier one "
        "about the same subject: the earlier exception's id.",
    )
    superseded_by: str | None = Field(
        default=None, description="The decision made on current facts when this one's facts changed before its verdict."
    )
    model_versions: dict[str, str] = Field(
        default_factory=dict, description="The version of each trained model the decision was made with."
    )

    @classmethod
    def of(cls, record: m.DecisionRecord) -> Self:
        """The decision a stored decision row holds."""
        return cls.model_validate(record.payload)

    def store(self, record: m.DecisionRecord) -> None:
        """Write the decision onto its stored row: the full decision, its status, its confidence, its cost and its
        action types."""
        record.status, record.payload, record.confidence = self.status, self.model_dump(mode="json"), self.confidence
        record.cost_usd = self.expected_impact.cost_usd
        record.action_types = [action.type for action in self.actions]
