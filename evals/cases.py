"""Eval cases: an exception on the seeded reference network (seed 7), the changes made to its twin first, and
what must hold of the desk's decision; loaded from the versioned JSONL data sets in `evals/datasets/`."""

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from agents.policy import PolicyRule
from agents.schemas import DecisionStatus, ExceptionIn, Specialist

DATASETS_DIR = Path(__file__).parent / "datasets"
DATASET_VERSION = 1
SEED = 7  # every case is written against the reference network of this seed

Category = Literal[
    "storyline",  # the seeded storylines: SKU-0042 short at DC-DAL, TRK-007 drifting, late shipments
    "routine",  # an ordinary exception of its type
    "nothing_to_do",  # the right decision is no action
    "unknown_code",  # a code the twin does not hold
    "ambiguous",  # free text that does not say enough to act on
    "conflicting",  # signals that disagree (a report against the twin, two types in one text)
    "policy_edge",  # a policy bound just under, at or just over the decision's own cost or confidence
    "paraphrase",  # the same exception in other words
    "adversarial",  # instructions embedded in the description
]


class PolicyOverride(BaseModel):
    """A policy rule stored before the case runs.

    A margin makes a bound relative to the decision itself: the runner first decides the case under the default
    rules, then stores `max_cost_usd = cost + cost_margin_usd` or `min_confidence = confidence + confidence_margin`
    and decides it again on a fresh copy of the twin.
    """

    model_config = ConfigDict(extra="forbid")

    rule: PolicyRule
    cost_margin_usd: float | None = None
    confidence_margin: float | None = None

    @property
    def relative(self) -> bool:
        """Whether a bound depends on the decision's own cost or confidence."""
        return self.cost_margin_usd is not None or self.confidence_margin is not None


class TwinEdit(BaseModel):
    """A change to one driver of a model output in the twin, for a counterfactual run.

    `shift_promise` moves a shipment's promised time by `amount` hours (more slack); `add_delay_scan` adds a
    delay scan of `amount` minutes to a shipment; `healthy_telemetry` replaces a truck's last `amount` days of
    readings by its median reading over the year (no drift); `set_on_hand` sets the on-hand units of a position
    written `SKU-0042@DC-DAL`.
    """

    model_config = ConfigDict(extra="forbid")

    kind: Literal["shift_promise", "add_delay_scan", "healthy_telemetry", "set_on_hand"]
    target: str
    amount: float


class Counterfactual(BaseModel):
    """A twin edit and how the decision must answer it: a different decision, or a different explanation, with
    the named model output (a fact such as p_late or p_fail) moving the stated way."""

    model_config = ConfigDict(extra="forbid")

    edit: TwinEdit
    changes: Literal["decision", "explanation"]
    output: str | None = None
    direction: Literal["down", "up"] | None = None


class Expect(BaseModel):
    """What must hold of the decision.

    `status` lists the acceptable statuses; every action's type must be in `action_types` and every type of
    `required_action_types` must be there; `requires_approval` (when set) is what the policy must say;
    `handoffs` (when set) the specialists that must have helped; `missing` what a needs_info decision must ask
    for; `mentions` the facts and drivers the justification must name; `must_not_claim` regular expressions
    (case-insensitive) no claim may match.
    """

    model_config = ConfigDict(extra="forbid")

    specialist: Specialist | None
    status: list[DecisionStatus] = Field(min_length=1)
    action_types: list[str] = Field(default_factory=list)
    required_action_types: list[str] = Field(default_factory=list)
    requires_approval: bool | None = None
    handoffs: list[Specialist] | None = None
    missing: list[str] = Field(default_factory=list)
    mentions: list[str] = Field(default_factory=list)
    must_not_claim: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _required_are_allowed(self) -> "Expect":
        """A required action type must also be allowed."""
        extra = set(self.required_action_types) - set(self.action_types)
        if extra:
            raise ValueError(f"required action types {sorted(extra)} are not in action_types")
        return self


class Case(BaseModel):
    """One eval case: the exception, the twin changes made first, and the expectations."""

    model_config = ConfigDict(extra="forbid")

    id: str
    version: int = Field(ge=1)
    category: Category
    note: str = Field(description="why the expected outcome is the right one")
    exception: ExceptionIn
    policy: list[PolicyOverride] = Field(default_factory=list)
    same_as: str | None = Field(default=None, description="the case whose decision this one must repeat (robustness)")
    counterfactual: Counterfactual | None = None
    expect: Expect


def suite_names() -> list[str]:
    """The data sets in `evals/datasets/`, by file stem."""
    return sorted(path.stem for path in DATASETS_DIR.glob("*.jsonl"))


def load_suite(name: str, folder: Path = DATASETS_DIR) -> list[Case]:
    """The cases of one data set, validated."""
    path = folder / f"{name}.jsonl"
    if not path.is_file():
        raise ValueError(f"unknown eval suite {name!r}; known: {', '.join(suite_names())}")
    lines = path.read_text().splitlines()
    return [Case.model_validate_json(line) for line in lines if line.strip()]


def load_cases(names: list[str] | None = None, folder: Path = DATASETS_DIR) -> list[Case]:
    """The cases of the named suites (all by default) plus the cases their `same_as` refer to, ids unique."""
    everything = [
        case for name in sorted(path.stem for path in folder.glob("*.jsonl")) for case in load_suite(name, folder)
    ]
    by_id: dict[str, Case] = {}
    for case in everything:
        if case.id in by_id:
            raise ValueError(f"case id {case.id!r} appears twice")
        by_id[case.id] = case
    for case in everything:
        if case.same_as and case.same_as not in by_id:
            raise ValueError(f"case {case.id!r} refers to unknown case {case.same_as!r}")
    chosen = everything if names is None else [case for name in names for case in load_suite(name, folder)]
    wanted = {case.id for case in chosen}
    bases = [by_id[case.same_as] for case in chosen if case.same_as and case.same_as not in wanted]
    return chosen + list({case.id: case for case in bases}.values())
