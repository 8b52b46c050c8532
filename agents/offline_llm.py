"""A deterministic chat model that works offline: it reads messages with the intent grammar and never invents a number.

It fills structured outputs and tool arguments from `agents.intent.parse`, answers tool results by restating them,
and returns text to rephrase unchanged.
"""

import json
import re
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)
from langchain_core.messages.tool import tool_call_chunk
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.tools import BaseTool
from langchain_core.utils.function_calling import convert_to_openai_tool

from agents.intent import INTENT_NAMES, Intent, parse

HELP = (
    "I can explain a decision, show what is at risk at a site, forecast demand for a SKU at a DC, "
    "rank trucks for service, test a cut in a carrier's capacity, show, approve or reject pending decisions, "
    "and take a report of a problem: a late shipment, a stockout risk, a truck fault, a carrier short of "
    "capacity or a demand spike."
)
MAX_FACTS = 10
MAX_CHARS = 600
_JSON_TYPES: dict[type, tuple[str, ...]] = {
    bool: ("boolean",), int: ("integer", "number"), float: ("number",), str: ("string",),
    list: ("array",), dict: ("object",),
}
_TEXT_KEYS = ("text", "summary", "message", "answer")


def _last(messages: Sequence[BaseMessage], kind: type[BaseMessage]) -> BaseMessage | None:
    """The last message of a kind."""
    return next((m for m in reversed(messages) if isinstance(m, kind)), None)


def _forced_tool(tool_choice: Any) -> str | bool:
    """The tool a tool_choice forces (a name), True when any tool is forced, False when none is."""
    if isinstance(tool_choice, dict):
        return tool_choice.get("function", {}).get("name") or tool_choice.get("name") or True
    if tool_choice in (None, False, "auto", "none"):
        return False
    return True if tool_choice in (True, "any", "required") else str(tool_choice)


def _variants(prop: dict[str, Any]) -> list[dict[str, Any]]:
    """A property schema and the alternatives of its anyOf/oneOf."""
    return [prop, *prop.get("anyOf", []), *prop.get("oneOf", [])]


def _accepts(prop: dict[str, Any], value: Any) -> bool:
    """Whether a JSON schema property admits a value (declared types and enums only)."""
    variants = _variants(prop)
    enums = [v for variant in variants for v in variant.get("enum", [])]
    types = {variant["type"] for variant in variants if isinstance(variant.get("type"), str)}
    return (not enums or value in enums) and (not types or bool(types & set(_JSON_TYPES.get(type(value), ()))))


def _arguments(parameters: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """Arguments for a JSON schema, filled by property name from values; nested objects are filled the same way."""
    args: dict[str, Any] = {}
    for name, prop in parameters.get("properties", {}).items():
        value = values.get(name)
        nested = next((v for v in _variants(prop) if "properties" in v), None)
        if value is None and nested is not None:
            value = _arguments(nested, values)
            if not value and name not in parameters.get("required", []):
                continue
        if value is not None and _accepts(prop, value):
            args[name] = value
    return args


def _values(intent: Intent, text: str) -> dict[str, Any]:
    """Everything the grammar read, by the argument names schemas and tools use."""
    kind = intent.exception_type.value if intent.exception_type else None
    return {**intent.entities, "type": kind, "exception_type": kind, "intent": intent.name,
            "cues": intent.cues, "description": text}


def _clip(text: str) -> str:
    """Text cut at a word boundary, so no number is shortened."""
    text = " ".join(text.split())
    return text if len(text) <= MAX_CHARS else text[:MAX_CHARS].rsplit(" ", 1)[0] + " …"


def _facts(value: Any, prefix: str = "") -> Iterator[str]:
    """Readable "name: value" facts of a tool result, restated as given (evidence records left out)."""
    label = f"{prefix.rstrip('.')}: " if prefix else ""
    if isinstance(value, dict):
        for key, item in value.items():
            if key != "evidence" and item not in (None, [], {}):
                yield from _facts(item, f"{prefix}{key}.")
    elif isinstance(value, list):
        names = ", ".join(name for name in map(_name, value) if name)
        if names:
            yield label + names
    else:
        yield f"{label}{value}"


def _name(item: Any) -> str:
    """How a list item is named in a summary: itself when scalar, else its first id-like field."""
    if not isinstance(item, dict):
        return str(item)
    key = next((k for k in item if k == "id" or k.endswith("_id") or k in ("name", "sku", "code")), None)
    return str(item[key]) if key else ""


def _summary(message: ToolMessage) -> str:
    """A short restatement of one tool result."""
    content, name = str(message.text), message.name or "tool"
    if message.status == "error":
        return f"{name} failed: {_clip(content)}"
    try:
        result = json.loads(content)
    except ValueError:
        return f"{name}: {_clip(content)}"
    text = next((result[k] for k in _TEXT_KEYS if isinstance(result, dict) and isinstance(result.get(k), str)), None)
    if text is None:
        facts = list(_facts(result))
        text = "; ".join(facts[:MAX_FACTS]) + ("; …" if len(facts) > MAX_FACTS else "")
    return f"{name}: {_clip(text)}"


def _describe(intent: Intent) -> str:
    """A reply that says how a message was read, for when no tool serves it."""
    if intent.name == "help":
        return HELP
    codes = ", ".join(str(v) for k, v in intent.entities.items() if k != "reason")
    about = f" about {codes}" if codes else ""
    if intent.name == "report_exception" and intent.exception_type:
        return f"That reads as a {intent.exception_type.value.replace('_', ' ')} report{about}."
    return f"That asks for {intent.name.replace('_', ' ')}{about}, which I cannot do here."


def _tool_to_call(functions: dict[str, Any], tool_choice: Any, intent: Intent, answering_human: bool) -> str | None:
    """Which bound tool to call: the forced one, else the one named like the intent, else (when forced) a schema."""
    forced = _forced_tool(tool_choice) if functions else False
    if isinstance(forced, str):
        if forced not in functions:
            raise ValueError(f"tool_choice names {forced!r}, which is not among the bound tools {list(functions)}")
        return forced
    if answering_human and intent.name in functions:
        return intent.name
    if forced:
        return next((name for name in functions if name not in INTENT_NAMES), next(iter(functions)))
    return None


class OfflineChatModel(BaseChatModel):
    """A deterministic chat model built on the intent grammar: structured output, tool calls and replies, offline."""

    @property
    def _llm_type(self) -> str:
        """The provider name LangChain records."""
        return "yardmaster-offline"

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool],
        *,
        tool_choice: str | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Bind tools (as OpenAI tool schemas) and the tool choice to every call."""
        return self.bind(tools=[convert_to_openai_tool(t) for t in tools], tool_choice=tool_choice, **kwargs)

    def _respond(self, messages: list[BaseMessage], tools: list[dict[str, Any]], tool_choice: Any) -> AIMessage:
        """The reply: a tool call filled from the grammar, a restatement of tool results, or text."""
        human = _last(messages, HumanMessage)
        text = str(human.text) if human else ""
        intent = parse(text)
        functions = {} if tool_choice == "none" else {t["function"]["name"]: t["function"] for t in tools}
        name = _tool_to_call(functions, tool_choice, intent, bool(messages) and isinstance(messages[-1], HumanMessage))
        if name is not None:
            args = _arguments(functions[name].get("parameters", {}), _values(intent, text))
            return AIMessage(content="", tool_calls=[{"name": name, "args": args, "id": f"call_{len(messages)}"}])
        if messages and isinstance(messages[-1], ToolMessage):
            results = []
            for message in reversed(messages):
                if not isinstance(message, ToolMessage):
                    break
                results.insert(0, _summary(message))
            return AIMessage(content=" ".join(results))
        system = _last(messages, SystemMessage)
        if not functions and system and re.search(r"\b(?:rephrase|paraphrase)\b", str(system.text), re.IGNORECASE):
            return AIMessage(content=text)
        return AIMessage(content=_describe(intent))

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        """One deterministic reply."""
        message = self._respond(messages, kwargs.get("tools") or [], kwargs.get("tool_choice"))
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        """The reply as word chunks; a tool call comes as one chunk."""
        message = self._respond(messages, kwargs.get("tools") or [], kwargs.get("tool_choice"))
        if message.tool_calls:
            chunks = [tool_call_chunk(name=c["name"], args=json.dumps(c["args"]), id=c["id"], index=i)
                      for i, c in enumerate(message.tool_calls)]
            yield ChatGenerationChunk(message=AIMessageChunk(content="", tool_call_chunks=chunks))
            return
        for piece in re.findall(r"\s*\S+", str(message.content)) or [""]:
            yield ChatGenerationChunk(message=AIMessageChunk(content=piece))
