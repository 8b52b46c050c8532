"""Request and response shapes of the exception, decision, policy and audit endpoints.

Override actions are checked per action type: each type has its own parameter model.
"""

from datetime import datetime
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from agents.policy import Autonomy, CohortPattern, PolicyRule
from agents.schemas import Decision, DecisionStatus, ExceptionType, PolicyVerdict, Specialist
from twin.actions import Action, Code
from twin.roles import Role, deciders

Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
Tier = Literal["gold", "silver", "standard"]
Deciders = Annotated[
    list[Role],
    Field(description="The roles that may approve, reject or override it (architect for one that governs a model)."),
]


# --- exceptions and decisions ------------------------------------------------------------------------------


class ExceptionOut(BaseModel):
    """An exception as stored, with the id of its decision once there is one."""

    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": "EXC-1A2B3C4D5E6F",
                    "type": "late_shipment",
                    "description": None,
                    "refs": {"shipment_id": "SHP-009420"},
                    "severity": "high",
                    "source": "tms",
                    "occurred_at": "2026-11-02T09:00:00Z",
                    "external_id": "tms-88412",
                    "status": "closed",
                    "actor": "tms-connector",
                    "created_at": "2026-11-02T09:00:01Z",
                    "decision_id": "DEC-1A2B3C4D5E6F",
                }
            ]
        },
    )

    id: str
    type: ExceptionType | None
    description: str | None
    refs: dict[str, str]
    severity: str
    source: str
    occurred_at: datetime
    external_id: str | None
    status: Literal["open", "decided", "closed", "failed"]
    actor: str
    created_at: datetime
    decision_id: str | None = None
    duplicate_of: str | None = Field(
        default=None,
        description="The earlier open exception on the same subject that this "
        "one was merged into (its decision answers both).",
    )
    intake: Literal["received", "deciding", "decided", "failed"] = Field(
        default="decided",
        description="`received` while its decision waits in the queue, `deciding` while it is being made (also "
        "again after a crash), `failed` when every try of its decision failed (see `failure`; status `failed` too, "
        "and `POST /v1/exceptions/{id}/retry` decides it afresh).",
    )
    failure: str | None = Field(default=None, description="Why the last try of its decision failed.")


class DecisionSummary(BaseModel):
    """A decision in a listing: who decided what, its status and policy; the full record is at its own URL."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "decision_id": "DEC-1A2B3C4D5E6F",
                    "exception_id": "EXC-1A2B3C4D5E6F",
                    "specialist": "routing",
                    "status": "pending_approval",
                    "confidence": 0.91,
                    "actions": [
                        {
                            "type": "switch_carrier",
                            "params": {"shipment_id": "SHP-009420", "to_carrier": "CAR-BLUEGRID"},
                        }
                    ],
                    "cost_usd": 412.5,
                    "policy": {
                        "autonomy_level": 2,
                        "requires_approval": True,
                        "reasons": ["switch_carrier (level 2, scope *): executes after approval"],
                    },
                    "created_at": "2026-11-02T09:00:02Z",
                    "updated_at": "2026-11-02T09:00:02Z",
                }
            ]
        }
    )

    decision_id: str
    exception_id: str
    specialist: Specialist | None
    status: DecisionStatus | Literal["resuming"] = Field(
        description="`resuming` while a person's verdict is being carried out."
    )
    confidence: float
    actions: list[Action]
    cost_usd: float
    policy: PolicyVerdict | None
    created_at: datetime
    updated_at: datetime


class DecisionDetail(Decision):
    """A decision as its own URL serves it: the full decision, and who may decide it."""

    deciders: Deciders

    @classmethod
    def of_decision(cls, decision: Decision) -> Self:
        """The decision with the roles its action types leave it to."""
        who = deciders(action.type for action in decision.actions)
        return cls(**dict(decision), deciders=list(who))


# --- policies and audit -----------------------------------------------------------------------------------


class PolicyIn(Autonomy):
    """The autonomy of an action type in a cohort: `*`, or a lane, site or carrier pattern such as DAL-*, DC-HOU or
    CAR-REDRIVER. Send the level, the autonomy level, or both (they must agree)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"autonomy_level": 3, "max_cost_usd": 1500, "min_confidence": 0.8, "allowed_tiers": ["gold", "silver"]},
                {"level": "shadow", "cohort": "DAL-*"},
                {"autonomy_level": 2, "cohort": "DAL-HOU"},
            ]
        },
    )

    allowed_tiers: list[Tier] = Field(default_factory=list, description="Level 3: customer tiers (empty: all).")
    cohort: CohortPattern | None = Field(
        default=None, description="Defaults to `*`; the `cohort` query parameter works too."
    )


class PolicyOut(PolicyRule):
    """A stored autonomy rule and who changed it last."""

    model_config = ConfigDict(from_attributes=True)

    updated_by: str
    updated_at: datetime


class TradeOffIn(BaseModel):
    """How much lateness and CO2 weigh against freight in carrier choice, for a customer tier and a lane (`*` for
    any): 1 counts expected late penalties (or CO2 at the carbon price) at face value, 2 twice, 0 ignores them."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"tier": "gold", "on_time": 2.0, "reason": "favour on-time over cost for gold customers"},
                {"lane": "CHI-LAX", "on_time": 1.0, "co2": 1.0, "reason": "carbon counts on the long lane"},
            ]
        },
    )

    tier: Literal["*", "gold", "silver", "standard"] = "*"
    lane: Code = Field("*", description="`*` or a lane such as DAL-HOU.")
    on_time: float = Field(ge=0, le=10, description="Weight of expected late penalties against freight.")
    co2: float = Field(0.0, ge=0, le=10, description="Weight of CO2 at the carbon price against freight.")
    reason: str = Field(min_length=1, max_length=500, description="Why the trade-off changes (audited).")


class TradeOffOut(TradeOffIn):
    """A trade-off version in force, and who set it."""

    model_config = ConfigDict(from_attributes=True)

    version: int
    set_by: str
    set_at: datetime


class AuditOut(BaseModel):
    """One audit event: who did what, when, on which exception or decision."""

    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": 42,
                    "at": "2026-11-02T09:05:00Z",
                    "actor": "test-planner",
                    "kind": "decision.final",
                    "exception_id": "EXC-1A2B3C4D5E6F",
                    "decision_id": "DEC-1A2B3C4D5E6F",
                    "detail": {"status": "executed"},
                }
            ]
        },
    )

    id: int
    at: datetime
    actor: str
    kind: str
    exception_id: str | None
    decision_id: str | None
    detail: dict[str, Any]
