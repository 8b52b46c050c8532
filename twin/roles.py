"""The roles an API key can hold and what they allow; a module of its own so the CLI reads it without the database."""

from collections.abc import Iterable
from typing import Literal, get_args

from pydantic import TypeAdapter

from twin.actions import GOVERNANCE_ACTIONS

Role = Literal["viewer", "planner", "architect", "integrator", "admin"]
ROLES: tuple[str, ...] = get_args(Role)
ROLE: TypeAdapter[Role] = TypeAdapter(Role)  # a stored role name read as a role (ValidationError for an unknown one)
REPORTERS: tuple[Role, ...] = ("integrator", "planner", "admin")  # who may report an exception (API and chat)
DECIDERS: tuple[Role, ...] = ("planner", "admin")  # who decides a decision that governs no model (API and chat)
ARCHITECTS: tuple[Role, ...] = ("architect", "admin")  # who may change the trade-off (API and chat)
VERDICT_ROLES: tuple[Role, ...] = ("planner", "architect", "admin")  # who decides some decisions (which: `deciders`)


def deciders(action_types: Iterable[str]) -> tuple[Role, ...]:
    """Who may approve, reject or override a decision with these action types: architects (and admins) when one
    governs a model, planners (and admins) otherwise."""
    return ARCHITECTS if any(kind in GOVERNANCE_ACTIONS for kind in action_types) else DECIDERS
