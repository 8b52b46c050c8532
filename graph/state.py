"""The state the desk graph carries for one exception."""

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from agents.classifier import Classification
from agents.proposal import Proposal
from agents.schemas import Action, Decision, ExceptionIn


class Verdict(BaseModel):
    """A person's answer to a decision waiting for approval: one command, with its own id, never replayed by another."""

    verdict_id: str = Field(default_factory=lambda: f"VRD-{uuid.uuid4().hex[:12].upper()}")
    verdict: Literal["approve", "reject", "override"]
    actor: str
    reason: str | None = None
    actions: list[Action] | None = None


class AuditNote(BaseModel):
    """An audit event a step has taken note of, written with the decision's next transaction (the pause for
    approval, or the end): a run that stops before then leaves nothing behind, and its rerun notes it again."""

    at: datetime
    actor: str
    kind: str
    decision_id: str | None = None
    detail: dict[str, Any] = Field(default_factory=dict)


class DeskState(BaseModel):
    """One exception's way through classification, specialists, explanation, policy and execution."""

    exception_id: str
    exception: ExceptionIn
    actor: str = "system"
    classification: Classification | None = None
    model_versions: dict[str, str] = Field(default_factory=dict)  # the trained models the decision is made with
    proposals: list[Proposal] = Field(default_factory=list)
    decision: Decision | None = None
    verdict: Verdict | None = None
    journal: list[AuditNote] = Field(default_factory=list)  # audit events not written yet

    def reading(self) -> Classification:
        """The exception's classification: every step after `classify` has one."""
        if self.classification is None:
            raise ValueError(f"exception {self.exception_id} is not classified yet")
        return self.classification

    def decided(self) -> Decision:
        """The decision made so far: every step after `explain` has one."""
        if self.decision is None:
            raise ValueError(f"exception {self.exception_id} has no decision yet")
        return self.decision
