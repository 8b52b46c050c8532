"""The roles an API key can hold and what they allow; a module of its own so the CLI reads it without the database."""

from typing import Literal, get_args

Role = Literal["viewer", "planner", "architect", "integrator", "admin"]
ROLES: tuple[str, ...] = get_args(Role)
REPORTERS: tuple[str, ...] = ("integrator", "planner", "admin")  # who may report an exception (API and chat)
DECIDERS: tuple[str, ...] = ("planner", "admin")  # who may approve, reject or override a decision (API and chat)
ARCHITECTS: tuple[str, ...] = ("architect", "admin")  # who may change the trade-off (API and chat)
