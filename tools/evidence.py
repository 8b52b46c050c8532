"""The evidence record every tool result carries: what was asked, what came out, and why."""

from typing import Any

from pydantic import BaseModel, Field


class Source(BaseModel):
    """Which tool and model version produced a result."""

    tool: str
    model: str
    version: str


class Driver(BaseModel):
    """One input's contribution to a model output (e.g. an XGBoost SHAP value)."""

    feature: str
    value: float | str | None = None
    contribution: float


class Evidence(BaseModel):
    """A tool's inputs, outputs (`facts`) and top drivers, with its source."""

    id: str
    source: Source
    inputs: dict[str, Any] = Field(default_factory=dict)
    facts: dict[str, Any] = Field(default_factory=dict)
    drivers: list[Driver] = Field(default_factory=list)
