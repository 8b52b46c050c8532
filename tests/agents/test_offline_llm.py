"""Tests of the offline chat model: structured output, forced tool calls, rephrasing, streaming, no invented numbers."""

import asyncio
import json
import re
from typing import Literal

import pytest
from langchain_core.messages import AIMessageChunk, HumanMessage, SystemMessage
from langchain_core.tools import tool
from pydantic import BaseModel, Field

from agents.offline_llm import NO_ANSWER, OfflineChatModel
from agents.schemas import ExceptionType, Refs

MODEL = OfflineChatModel()
RESULT = {
    "sku": "SKU-0042",
    "location": "DC-DAL",
    "p50_units": 412.5,
    "p90_units": 530,
    "weeks": [{"week_start": "2026-11-02", "p50": 101.25}],
    "evidence": [{"id": "ev-forecast-1", "facts": {"x": 77}}],
}


class Reading(BaseModel):
    """An exception reading."""

    type: ExceptionType | None = None
    refs: Refs = Field(default_factory=Refs)
    cues: list[str] = Field(default_factory=list)


@tool
def forecast_demand(sku: str, location: str, horizon_weeks: int = 4) -> str:
    """Forecast weekly demand of a SKU at a DC."""
    return json.dumps({**RESULT, "sku": sku, "location": location})


@tool
def what_if_capacity(carrier: str, capacity_cut_pct: float) -> str:
    """Replan with a carrier's capacity cut."""
    return json.dumps({"carrier": carrier, "cut_pct": capacity_cut_pct, "extra_cost_usd": 1830.4})


def _numbers(text: str) -> set[str]:
    return set(re.findall(r"\d+(?:\.\d+)?", text))


def test_structured_output_is_filled_from_the_grammar():
    reading = MODEL.with_structured_output(Reading).invoke(
        [SystemMessage("Classify the report."), HumanMessage("Truck 7 is running hot and losing oil pressure")]
    )
    assert reading == Reading(
        type=ExceptionType.equipment_failure_risk, refs=Refs(asset_id="TRK-007"), cues=["running hot", "oil pressure"]
    )


def test_structured_output_leaves_out_values_the_schema_does_not_admit():
    class Narrow(BaseModel):
        """Only two types."""

        type: Literal["late_shipment", "stockout_risk"] | None = None
        shipment_id: str | None = None

    assert MODEL.with_structured_output(Narrow).invoke("TRK-007 is overheating") == Narrow()
    assert MODEL.with_structured_output(Narrow).invoke("SHP-000123 is late") == Narrow(
        type="late_shipment", shipment_id="SHP-000123"
    )


def test_a_forced_tool_is_filled_from_the_grammar_and_nothing_else_calls_tools():
    forced = MODEL.bind_tools([what_if_capacity], tool_choice="what_if_capacity")
    call = forced.invoke("what if Red River loses 30% of its capacity next week?")
    assert call.tool_calls[0]["args"] == {"carrier": "CAR-REDRIVER", "capacity_cut_pct": 30}
    reply = MODEL.bind_tools([forecast_demand]).invoke("forecast SKU-0042 at DC-DAL for the next 4 weeks")
    assert (reply.tool_calls, reply.text) == ([], NO_ANSWER)
    assert not _numbers(NO_ANSWER)


def test_tool_choice_none_never_calls_a_tool():
    assert not MODEL.bind_tools([forecast_demand], tool_choice="none").invoke("forecast SKU-0042 at DC-DAL").tool_calls


def test_rephrase_returns_the_text_unchanged():
    text = "Reroute SHP-000123 via CAR-SWIFTLINE; 2 late deliveries avoided for $410.50."
    reply = MODEL.invoke([SystemMessage("Rephrase the justification for an operator."), HumanMessage(text)])
    assert reply.text == text


def test_streaming_a_forced_tool_call_and_text():
    bound = MODEL.bind_tools([forecast_demand], tool_choice="forecast_demand")
    messages = [HumanMessage("forecast SKU-0042 at DC-DAL")]
    call_chunks = list(bound.stream(messages))
    assert call_chunks[0].tool_call_chunks[0]["name"] == "forecast_demand"
    assert call_chunks[0].tool_calls == bound.invoke(messages).tool_calls
    text_chunks = list(MODEL.stream("hello"))
    assert len(text_chunks) > 5 and all(isinstance(c, AIMessageChunk) for c in text_chunks)
    assert "".join(c.text for c in text_chunks) == NO_ANSWER


def test_a_forced_tool_must_be_bound():
    with pytest.raises(ValueError, match="'explain_decision', which is not among the bound tools"):
        MODEL.bind_tools([forecast_demand], tool_choice="explain_decision").invoke("explain DEC-1")


def test_async_streaming_matches_sync():
    async def collect() -> list[str]:
        return [c.text async for c in MODEL.astream("hello")]

    assert asyncio.run(collect()) == [c.text for c in MODEL.stream("hello")]
