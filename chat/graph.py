"""The chat graph: one node per turn that plans (offline with the understanding layer, or with a tool-calling model),
runs the chat tools, checks the answer, and keeps each thread's messages and memory in the desk's checkpointer; its
run is a stream of chat events (tool calls, tool results, tokens, the final answer, errors)."""

import json
import logging
import re
import uuid
from collections.abc import Callable, Iterator
from typing import Annotated, Any, Literal, NamedTuple, Required, TypedDict

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage
from langchain_core.runnables import RunnableConfig
from langchain_core.tools import BaseTool, ToolException
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.config import get_stream_writer
from langgraph.graph import END, START, StateGraph, add_messages
from langgraph.graph.state import CompiledStateGraph
from pydantic import BaseModel, Field

from agents.offline_llm import OfflineChatModel
from chat.answers import answer, drivers_answer, failure, verified
from chat.dialogue import HELP, Memory, Plan, plan_turn, remember_items, remember_reading, stage
from chat.lookups import lookup_tools
from chat.tools.registry import ACT_ROLES, ChatTools, as_tools
from graph.desk import Desk
from graph.retention import keep_latest

logger = logging.getLogger(__name__)

SYSTEM_PROMPT = (
    "You are Yardmaster, the exception desk of a logistics network (DCs, SKUs, carriers, lanes, trucks, shipments). "
    "Answer with the tools: every number, code and date you state must come from a tool result in this "
    "conversation. Never invent, estimate or round differently a number a tool did not give. When a tool reports "
    "an unknown code, a refusal or missing information, say so plainly and ask for what is missing. Keep answers "
    "short and name the codes involved."
)
MODEL_NODE = "model"
MAX_MODEL_STEPS = 4  # tool rounds a model may take in one turn
MAX_HISTORY = 20  # messages of the thread a model sees
UNCHECKABLE = "I have the result but could not state it with figures I can check; see the tool results above."


class TokenEvent(BaseModel):
    """A chunk of the answer's text, once it is checked."""

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
    """The turn's answer, whether the written answer passed the check against the turn's tool results (False: the
    template answer replaced it), and the thread to continue on."""

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


ChatEvent = Annotated[
    TokenEvent | ToolCallEvent | ToolResultEvent | FinalEvent | ErrorEvent, Field(discriminator="event")
]


class ChatState(TypedDict, total=False):
    """A thread: the person's messages and the desk's answers, and the thread's memory."""

    messages: Required[Annotated[list, add_messages]]
    memory: dict[str, Any]


class ToolOutput(NamedTuple):
    """A tool's result that succeeded: as JSON, and as its typed model."""

    full: dict[str, Any]
    typed: BaseModel


class Turn:
    """One turn's tool runs: each call and result streamed as events, results kept for the answer and its check."""

    def __init__(self, tools: dict[str, BaseTool], write: Callable[[Any], None], text: str) -> None:
        self.tools, self.write = tools, write
        self.checked: list[Any] = [text]  # what the answer may draw on: the message and every tool result
        self.results: list[tuple[str, BaseModel, str | None]] = []
        self.errors: list[str] = []

    def run(
        self, name: str, args: dict[str, Any], call_id: str | None = None, view: str | None = None
    ) -> tuple[ToolMessage, ToolOutput | None]:
        """Run a tool, stream its call and result, and return its message and its output (None on error)."""
        call_id = call_id or f"call_{uuid.uuid4().hex[:12]}"
        args = {key: value for key, value in args.items() if value is not None}
        self.write(ToolCallEvent(id=call_id, name=name, args=args))
        message = self.tools[name].invoke({"type": "tool_call", "id": call_id, "name": name, "args": args})
        full = _json(message.text) if message.status != "error" else None
        event = tool_result(message)
        self.write(event)
        self.checked.append(full if full is not None else event.result)
        if not isinstance(full, dict):
            self.errors.append(str(event.result))
            return message, None
        self.results.append((name, message.artifact, view))
        return message, ToolOutput(full, message.artifact)

    def templates(self) -> str:
        """The template answer to every result of the turn (and a sentence per error)."""
        parts = [answer(name, result, view) for name, result, view in self.results] + [failure(e) for e in self.errors]
        return "\n\n".join(parts) or HELP


def _json(text: str) -> Any:
    """A tool message's JSON, or None."""
    try:
        return json.loads(text)
    except ValueError:
        return None


def _offline_turn(turn: Turn, plan: Plan, memory: Memory) -> str:
    """Carry out an offline plan: its reply, or the answer to every step, in the order asked."""
    if not plan.steps:
        return plan.reply or HELP
    parts = []
    for step in plan.steps:
        if step.tool is None:
            parts.append(step.reply or HELP)
            continue
        _, output = turn.run(step.tool, step.args, view=step.view)
        if output is None:
            parts.append(failure(turn.errors[-1]))
            continue
        result, typed = output
        memory.decision_id = result.get("decision_id", memory.decision_id)
        remember_items(memory, result)
        if step.drivers:
            parts.append(drivers_answer(step.tool, result.get("evidence", [])))
        else:
            parts.append(answer(step.tool, typed, step.view))
    return "\n\n".join(parts)


def remembered(memory: Memory) -> str:
    """What the thread remembers, for a model's system prompt: the last question's typed reading, the items of the
    last list in order, and the last decision named."""
    parts = []
    if memory.query is not None:
        parts.append("Last question read as: " + memory.query.model_dump_json(exclude_defaults=True) + ".")
    if memory.items:
        parts.append('Last list, in order ("the first one" is the first): ' + ", ".join(memory.items) + ".")
    if memory.decision_id:
        parts.append(f"Last decision named: {memory.decision_id}.")
    return (" Thread memory: " + " ".join(parts)) if parts else ""


def _model_turn(llm: BaseChatModel, chat_tools: ChatTools, turn: Turn, history: list, memory: Memory) -> str:
    """A tool-calling model's turn: reading tools run at once; an act is staged behind a confirmation once its codes
    are checked against the twin."""
    bound = llm.bind_tools(list(turn.tools.values()))
    messages = [SystemMessage(SYSTEM_PROMPT + remembered(memory)), *history[-MAX_HISTORY:]]
    for _ in range(MAX_MODEL_STEPS):
        reply = bound.invoke(messages)
        if not reply.tool_calls:
            return str(reply.text)
        messages.append(reply)
        for call in reply.tool_calls:
            if call["name"] in ACT_ROLES and chat_tools.may(call["name"], call["args"]):
                try:
                    args = chat_tools.canonical_codes(call["args"])
                except ToolException as error:
                    turn.checked.append(str(error))
                    return failure(str(error))
                turn.checked.append(args)
                return stage(call["name"], args, memory, chat_tools.may)[0].reply or HELP
            message, output = turn.run(call["name"], call["args"], call["id"])
            if output is not None:
                memory.decision_id = output.full.get("decision_id", memory.decision_id)
                remember_items(memory, output.full)
            messages.append(message)
    return turn.templates()


def build_chat_graph(desk: Desk, role: str, actor: str) -> CompiledStateGraph:
    """The chat of one caller over the desk's checkpointer. Offline, the understanding layer plans each turn;
    with a tool-calling model, the model does. Either way a pending act waits for a yes, and the answer is checked
    against the turn's tool results (the template answer replaces one that fails)."""
    chat_tools = ChatTools(desk, role, actor)
    tools = {tool.name: tool for tool in [*as_tools(chat_tools), *lookup_tools(desk.toolbox)]}
    llm = desk.toolbox.llm
    offline = isinstance(llm, OfflineChatModel)

    def read_offline(text: str, memory: Memory, turn: Turn) -> tuple[str, Memory]:
        """The understanding layer's plan of the turn, carried out."""
        plan, memory = plan_turn(text, memory, desk.toolbox.now(), chat_tools.may)
        turn.checked.append([step.args for step in plan.steps])  # codes read in the message, canonical
        turn.checked.append(memory.items)  # codes a clarifying question may name
        if memory.pending is not None:
            turn.checked.append(memory.pending.args)
        return _offline_turn(turn, plan, memory), memory

    def respond(state: ChatState) -> dict:
        """One turn of the conversation."""
        write = get_stream_writer()
        text = str(state["messages"][-1].text)
        memory = Memory.model_validate(state.get("memory") or {})
        turn = Turn(tools, write, text)
        if offline or memory.pending is not None:
            reply, memory = read_offline(text, memory, turn)
        else:
            memory = remember_reading(text, memory, desk.toolbox.now())
            try:
                reply = _model_turn(llm, chat_tools, turn, state["messages"], memory)
            except Exception as error:  # whatever the endpoint did, the offline reader still answers the turn
                logger.warning("chat model failed (%s); the offline reader answered instead", type(error).__name__)
                reply, memory = read_offline(text, memory, turn)
        ok = verified(reply, turn.checked)
        if not ok:
            reply = turn.templates()
            if not verified(reply, turn.checked):
                reply = UNCHECKABLE
        for piece in re.findall(r"\s*\S+", reply):
            write(TokenEvent(text=piece))
        write(AnswerCheck(verified=ok))
        return {"messages": [AIMessage(reply)], "memory": memory.model_dump(mode="json")}

    graph = StateGraph(ChatState)
    graph.add_node(MODEL_NODE, respond)
    graph.add_edge(START, MODEL_NODE)
    graph.add_edge(MODEL_NODE, END)
    return graph.compile(checkpointer=desk.graph.checkpointer, name="chat")


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
    return ToolResultEvent(
        id=message.tool_call_id,
        name=message.name or "",
        ok=message.status != "error",
        result=result,
        evidence_ids=evidence_ids,
    )


def chat_events(
    graph: CompiledStateGraph, message: str, thread_id: str, owner: str, max_turns: int | None = None
) -> Iterator[ChatEvent]:
    """Run one turn of a conversation and yield its events; the last one is `final` or `error` (also when the
    thread already holds `max_turns` turns). The thread keeps only its latest checkpoint."""
    config: RunnableConfig = {"configurable": {"thread_id": checkpoint_thread(owner, thread_id)}}
    answer_text, checked = "", True
    if max_turns is not None:
        asked = sum(isinstance(said, HumanMessage) for said in graph.get_state(config).values.get("messages", []))
        if asked >= max_turns:
            yield ErrorEvent(
                thread_id=thread_id,
                message=f"This conversation reached its limit of {max_turns} turns; please start a new one.",
            )
            return
    try:
        for chunk in graph.stream({"messages": [HumanMessage(message)]}, config, stream_mode="custom"):
            match chunk:
                case AnswerCheck(verified=verified):
                    checked = verified
                case TokenEvent(text=text):
                    answer_text += text
                    yield chunk
                case ToolCallEvent() | ToolResultEvent():
                    yield chunk
    except Exception as error:
        logger.exception("chat turn failed on thread %s", thread_id)
        yield ErrorEvent(
            thread_id=thread_id,
            message=f"The desk could not finish this turn ({type(error).__name__}); "
            "nothing was changed by it. Please try again.",
        )
        return
    if isinstance(graph.checkpointer, BaseCheckpointSaver):
        keep_latest(graph.checkpointer, [checkpoint_thread(owner, thread_id)])
    yield FinalEvent(thread_id=thread_id, answer=answer_text, verified=checked)
