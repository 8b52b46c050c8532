"""The chat graph: a tool-calling agent over the chat tools, with each thread's memory in the desk's checkpointer,
and its run as a stream of chat events (tokens, tool calls, tool results, the final answer, errors)."""

import json
import logging
import uuid
from collections.abc import Iterator
from typing import Annotated, Any, Literal

from langchain.agents import create_agent
from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage, ToolMessage
from langgraph.graph.state import CompiledStateGraph
from pydantic import BaseModel, Field

from agents.chat_tools import make_chat_tools
from graph.desk import Desk

logger = logging.getLogger(__name__)

SYSTEM_PROMPT = (
    "You are Yardmaster, the exception desk of a logistics network (DCs, SKUs, carriers, lanes, trucks, shipments). "
    "Answer with the tools: every number, code and date you state must come from a tool result in this "
    "conversation. Never invent, estimate or round differently a number a tool did not give. When a tool reports "
    "an unknown code, a refusal or missing information, say so plainly and ask for what is missing. Keep answers "
    "short and name the codes involved."
)
MODEL_NODE = "model"


class TokenEvent(BaseModel):
    """A chunk of the answer's text as the model writes it."""

    event: Literal["token"] = "token"
    text: str


class ToolCallEvent(BaseModel):
    """The model calls a tool."""

    event: Literal["tool_call"] = "tool_call"
    id: str
    name: str
    args: dict[str, Any]


class ToolResultEvent(BaseModel):
    """A tool's answer: its facts (evidence records named by id only), or the error it reported."""

    event: Literal["tool_result"] = "tool_result"
    id: str
    name: str
    ok: bool
    result: dict[str, Any] | str
    evidence_ids: list[str] = Field(default_factory=list)


class FinalEvent(BaseModel):
    """The turn's answer and the thread to continue it on."""

    event: Literal["final"] = "final"
    thread_id: str
    answer: str


class ErrorEvent(BaseModel):
    """The turn failed; the thread keeps what happened before the failure."""

    event: Literal["error"] = "error"
    thread_id: str
    message: str


ChatEvent = Annotated[TokenEvent | ToolCallEvent | ToolResultEvent | FinalEvent | ErrorEvent,
                      Field(discriminator="event")]


def build_chat_graph(desk: Desk, role: str, actor: str) -> CompiledStateGraph:
    """The chat agent of one caller: the desk's chat model, the caller's tools and the desk's checkpointer."""
    return create_agent(desk.toolbox.llm, make_chat_tools(desk, role, actor), system_prompt=SYSTEM_PROMPT,
                        checkpointer=desk.graph.checkpointer, name="chat")


def new_thread_id() -> str:
    """A fresh conversation id."""
    return uuid.uuid4().hex


def checkpoint_thread(owner: str, thread_id: str) -> str:
    """The checkpointer thread of a conversation: scoped to its owner, apart from the desk's exception threads."""
    return f"chat:{owner}:{thread_id}"


def tool_result(message: ToolMessage) -> ToolResultEvent:
    """A tool message as an event: JSON results without their evidence bodies, errors as text."""
    text = str(message.text)
    try:
        result: dict[str, Any] | str = json.loads(text)
    except ValueError:
        result = text
    evidence_ids = []
    if isinstance(result, dict):
        evidence_ids = [record["id"] for record in result.pop("evidence", [])]
    return ToolResultEvent(id=message.tool_call_id, name=message.name or "", ok=message.status != "error",
                           result=result, evidence_ids=evidence_ids)


def _from_update(update: dict[str, Any]) -> Iterator[ChatEvent | AIMessage]:
    """Tool calls and results of one graph step, and any complete answer of the model."""
    for step in update.values():
        for message in (step or {}).get("messages", []):
            if isinstance(message, AIMessage):
                for call in message.tool_calls:
                    yield ToolCallEvent(id=call["id"] or "", name=call["name"], args=call["args"])
                if not message.tool_calls:
                    yield message
            elif isinstance(message, ToolMessage):
                yield tool_result(message)


def chat_events(graph: CompiledStateGraph, message: str, thread_id: str, owner: str) -> Iterator[ChatEvent]:
    """Run one turn of a conversation and yield its events; the last one is `final` or `error`."""
    config = {"configurable": {"thread_id": checkpoint_thread(owner, thread_id)}}
    answer = ""
    try:
        for mode, chunk in graph.stream({"messages": [HumanMessage(message)]}, config,
                                        stream_mode=["messages", "updates"]):
            if mode == "messages":
                piece, metadata = chunk
                if isinstance(piece, AIMessageChunk) and piece.text and metadata.get("langgraph_node") == MODEL_NODE:
                    yield TokenEvent(text=piece.text)
                continue
            for item in _from_update(chunk):
                if isinstance(item, AIMessage):
                    answer = item.text
                else:
                    yield item
    except Exception as error:  # noqa: BLE001 - the stream reports any failure as its last event
        logger.exception("chat turn failed on thread %s", thread_id)
        yield ErrorEvent(thread_id=thread_id, message=f"{type(error).__name__}: {error}")
        return
    yield FinalEvent(thread_id=thread_id, answer=answer)
