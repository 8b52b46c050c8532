"""Tests of the offline chat model: structured output, tool calls and replies, streaming, and no invented numbers."""

import asyncio
import json
import re
from typing import Literal

import pytest
from langchain.agents import create_agent
from langchain_core.messages import AIMessageChunk, HumanMessage, SystemMessage, ToolMessage
from langchain_core.tools import tool
from pydantic import BaseModel, Field

from agents.offline_llm import HELP, OfflineChatModel
from agents.schemas import ExceptionType, Refs

MODEL = OfflineChatModel()
RESULT = {"sku": "SKU-0042", "location": "DC-DAL", "p50_units": 412.5, "p90_units": 530,
          "weeks": [{"week_start": "2026-11-02", "p50": 101.25}], "evidence": [{"id": "ev-forecast-1", "facts": {"x": 77}}]}


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
        [SystemMessage("Classify the report."), HumanMessage("Truck 7 is running hot and losing oil pressure")])
    assert reading == Reading(type=ExceptionType.equipment_failure_risk, refs=Refs(asset_id="TRK-007"),
                              cues=["running hot", "oil pressure"])


def test_structured_output_leaves_out_values_the_schema_does_not_admit():
    class Narrow(BaseModel):
        """Only two types."""

        type: Literal["late_shipment", "stockout_risk"] | None = None
        shipment_id: str | None = None

    assert MODEL.with_structured_output(Narrow).invoke("TRK-007 is overheating") == Narrow()
    assert MODEL.with_structured_output(Narrow).invoke("SHP-000123 is late") == Narrow(
        type="late_shipment", shipment_id="SHP-000123")


def test_tool_call_then_reply_from_the_tool_result():
    bound = MODEL.bind_tools([forecast_demand, what_if_capacity])
    messages = [HumanMessage("forecast SKU-0042 at DC-DAL for the next 4 weeks, customer CUST-0001")]
    call = bound.invoke(messages)
    assert [(c["name"], c["args"]) for c in call.tool_calls] == [
        ("forecast_demand", {"sku": "SKU-0042", "location": "DC-DAL", "horizon_weeks": 4})]
    result = forecast_demand.invoke(call.tool_calls[0])
    reply = bound.invoke([*messages, call, result])
    assert not reply.tool_calls
    assert "412.5" in reply.text and "530" in reply.text and "SKU-0042" in reply.text
    assert _numbers(reply.text) <= _numbers(result.text) - {"77"}


def test_only_declared_arguments_are_filled():
    call = MODEL.bind_tools([what_if_capacity]).invoke("what if Red River loses 30% of its capacity next week?")
    assert call.tool_calls[0]["args"] == {"carrier": "CAR-REDRIVER", "capacity_cut_pct": 30}


def test_no_matching_tool_gives_text():
    reply = MODEL.bind_tools([forecast_demand]).invoke("hello")
    assert (reply.tool_calls, reply.text) == ([], HELP)
    assert not _numbers(HELP)
    unserved = MODEL.bind_tools([forecast_demand]).invoke("which trucks should be serviced first?")
    assert not unserved.tool_calls and "fleet service priority" in unserved.text


def test_tool_choice_none_never_calls_a_tool():
    assert not MODEL.bind_tools([forecast_demand], tool_choice="none").invoke("forecast SKU-0042 at DC-DAL").tool_calls


def test_a_failed_tool_is_reported():
    failed = ToolMessage("sku SKU-9999 is not in the twin", tool_call_id="call_1", name="forecast_demand",
                         status="error")
    reply = MODEL.bind_tools([forecast_demand]).invoke([HumanMessage("forecast SKU-9999 at DC-DAL"), failed])
    assert reply.text == "forecast_demand failed: sku SKU-9999 is not in the twin"


def test_rephrase_returns_the_text_unchanged():
    text = "Reroute SHP-000123 via CAR-SWIFTLINE; 2 late deliveries avoided for $410.50."
    reply = MODEL.invoke([SystemMessage("Rephrase the justification for an operator."), HumanMessage(text)])
    assert reply.text == text


def test_streaming_text_and_tool_calls():
    bound = MODEL.bind_tools([forecast_demand])
    messages = [HumanMessage("forecast SKU-0042 at DC-DAL")]
    call_chunks = list(bound.stream(messages))
    assert call_chunks[0].tool_call_chunks[0]["name"] == "forecast_demand"
    merged = call_chunks[0]
    for chunk in call_chunks[1:]:
        merged += chunk
    assert merged.tool_calls == bound.invoke(messages).tool_calls
    history = [*messages, merged, forecast_demand.invoke(merged.tool_calls[0])]
    text_chunks = [c for c in bound.stream(history) if c.text]
    assert len(text_chunks) > 5 and all(isinstance(c, AIMessageChunk) for c in text_chunks)
    assert "".join(c.text for c in text_chunks) == bound.invoke(history).text


def test_agent_loop_streams_tokens():
    agent = create_agent(MODEL, tools=[forecast_demand])
    streamed = [chunk for chunk, _ in agent.stream(
        {"messages": [HumanMessage("forecast SKU-0042 at DC-LAX for 2 weeks")]}, stream_mode="messages")]
    tokens = [c.text for c in streamed if isinstance(c, AIMessageChunk) and c.text]
    assert len(tokens) > 5
    assert "".join(tokens).startswith("forecast_demand: sku: SKU-0042; location: DC-LAX; p50_units: 412.5")


def test_a_report_or_an_unserved_question_is_described_in_text():
    assert MODEL.invoke("SKU-0042 is out of stock at Houston").text == (
        "That reads as a stockout risk report about SKU-0042, DC-HOU.")
    assert MODEL.invoke("what if Red River loses 30% of its capacity?").text == (
        "That asks for what if capacity about CAR-REDRIVER, 30, which I cannot do here.")


def test_a_list_result_names_its_items():
    listed = ToolMessage(json.dumps([{"decision_id": "DEC-1", "cost_usd": 5}, {"decision_id": "DEC-2"}]),
                         tool_call_id="call_1", name="list_pending_approvals")
    reply = MODEL.invoke([HumanMessage("show pending approvals"), listed])
    assert reply.text == "list_pending_approvals: DEC-1, DEC-2"


def test_a_forced_tool_must_be_bound():
    with pytest.raises(ValueError, match="'explain_decision', which is not among the bound tools"):
        MODEL.bind_tools([forecast_demand], tool_choice="explain_decision").invoke("explain DEC-1")


def test_async_streaming_matches_sync():
    async def collect() -> list[str]:
        return [c.text async for c in MODEL.astream("hello")]

    assert asyncio.run(collect()) == [c.text for c in MODEL.stream("hello")]
