"""The chat graph: a tool-calling agent over the chat tools, with each thread's memory in the desk's checkpointer,
and its run as a stream of chat events (tokens, tool calls, tool results, the final answer, errors)."""

import json
import logging
import re
import uuid
from collections.abc import Iterator
from typing import Annotated, Any, Literal, TypedDict

from langchain.agents import create_agent
from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage, ToolMessage
from langgraph.config import get_stream_writer
from langgraph.graph import END, START, StateGraph, add_messages
from langgraph.graph.state import CompiledStateGraph
from pydantic import BaseModel, Field

from agents.offline_llm import OfflineChatModel
from chat.dialogue import HELP, Memory, answer, failure, plan_turn, verified
from chat.dialogue import answer as template
from chat.tools import ACT_ROLES, make_chat_tools
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
    """The turn's answer, whether it passed the check against the turn's tool results, and the thread."""

    event: Literal["final"] = "final"
    thread_id: str
    answer: str
    verified: bool = True


class AnswerCheck(BaseModel):
    """Whether the written answer passed the verifier (False: the template answer replaced it)."""

    verified: bool


class ErrorEvent(BaseModel):
    """The turn failed; the thread keeps what happened before the failure."""

    event: Literal["error"] = "error"
    thread_id: str
    message: str


ChatEvent = Annotated[TokenEvent | ToolCallEvent | ToolResultEvent | FinalEvent | ErrorEvent,
                      Field(discriminator="event")]


class OfflineState(TypedDict, total=False):
    """A thread of the offline chat: its messages and memory."""

    messages: Annotated[list, add_messages]
    memory: dict[str, Any]


def _offline_graph(desk: Desk, role: str, actor: str) -> CompiledStateGraph:
    """The offline chat: one node that understands, confirms, calls a tool and answers, keeping the thread's memory."""
    tools = {tool.name: tool for tool in make_chat_tools(desk, role, actor)}
    can_act = {name: role in roles for name, roles in ACT_ROLES.items()}

    def turn(state: OfflineState) -> dict:
        """One turn of the conversation."""
        write = get_stream_writer()
        text = str(state["messages"][-1].text)
        memory = Memory.model_validate(state.get("memory") or {})
        plan, memory = plan_turn(text, memory, desk.toolbox.now(), can_act)
        reply, results = plan.reply or "", [text]
        if plan.tool:
            call_id = f"call_{uuid.uuid4().hex[:8]}"
            args = {k: v for k, v in plan.args.items() if v is not None}
            write(ToolCallEvent(id=call_id, name=plan.tool, args=args))
            message = tools[plan.tool].invoke({"type": "tool_call", "id": call_id, "name": plan.tool, "args": args})
            event = tool_result(message)
            write(event)
            if event.ok and isinstance(event.result, dict):
                results.append(event.result)
                memory.decision_id = event.result.get("decision_id", memory.decision_id)
                reply = answer(plan.tool, event.result)
            else:
                results.append(str(event.result))
                reply = failure(plan.tool, str(event.result))
        ok = verified(reply, results)
        if not ok:
            reply = answer_fallback(plan.tool, results[-1]) if isinstance(results[-1], dict) else HELP
        write(AnswerCheck(verified=ok))
        return {"messages": [AIMessage(reply)], "memory": memory.model_dump(mode="json")}

    graph = StateGraph(OfflineState)
    graph.add_node(MODEL_NODE, turn)
    graph.add_edge(START, MODEL_NODE)
    graph.add_edge(MODEL_NODE, END)
    return graph.compile(checkpointer=desk.graph.checkpointer, name="chat")


def answer_fallback(tool: str | None, result: dict[str, Any]) -> str:
    """The plainest answer to a result when a written one fails the check: its codes only."""
    codes = sorted({value for value in result.values() if isinstance(value, str) and re.fullmatch(r"[A-Z]+-[A-Z0-9-]+", value)})
    return f"{(tool or 'the tool').replace('_', ' ')} answered about {', '.join(codes) or 'your question'}."


def build_chat_graph(desk: Desk, role: str, actor: str) -> CompiledStateGraph:
    """The chat of one caller: offline, the understanding layer and templates; with an OpenAI-compatible model, a
    tool-calling agent over the caller's tools. Both keep threads in the desk's checkpointer."""
    if isinstance(desk.toolbox.llm, OfflineChatModel):
        return _offline_graph(desk, role, actor)
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
    answer, results, checked = "", [], None
    try:
        for mode, chunk in graph.stream({"messages": [HumanMessage(message)]}, config,
                                        stream_mode=["messages", "updates", "custom"]):
            if mode == "custom":
                if isinstance(chunk, AnswerCheck):
                    checked = chunk.verified
                else:
                    yield chunk
                continue
            if mode == "messages":
                piece, metadata = chunk
                if isinstance(piece, AIMessageChunk) and piece.text and metadata.get("langgraph_node") == MODEL_NODE:
                    yield TokenEvent(text=piece.text)
                continue
            for item in _from_update(chunk):
                if isinstance(item, AIMessage):
                    answer = item.text
                else:
                    if isinstance(item, ToolResultEvent) and item.ok:
                        results.append((item.name, item.result))
                    yield item
    except Exception as error:
        logger.exception("chat turn failed on thread %s", thread_id)
        yield ErrorEvent(thread_id=thread_id, message=f"{type(error).__name__}: {error}")
        return
    if checked is None:  # a model wrote the answer: it must hold up against the turn's tool results
        checked = verified(answer, [*(result for _, result in results), message])
        if not checked:
            answer = "\n\n".join(template(name, result) for name, result in results if isinstance(result, dict)) or HELP
    yield FinalEvent(thread_id=thread_id, answer=answer, verified=checked)
