"""A deterministic chat model that works offline: it reads messages with the code grammar and never invents a number.

It fills structured outputs (forced tool calls) from the codes and the exception type the grammar reads, and
returns text to rephrase unchanged. The conversation itself is the chat package's; it does not go through here.
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
)
from langchain_core.messages.tool import tool_call_chunk
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.tools import BaseTool
from langchain_core.utils.function_calling import convert_to_openai_tool

from agents.language.intent import extract, read_exception_type

NO_ANSWER = "I only fill structured answers and rephrase text offline; ask the chat instead."
_JSON_TYPES: dict[type, tuple[str, ...]] = {
    bool: ("boolean",),
    int: ("integer", "number"),
    float: ("number",),
    str: ("string",),
    list: ("array",),
    dict: ("object",),
}


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


def _values(text: str) -> dict[str, Any]:
    """Everything the grammar read, by the argument names schemas use."""
    exception_type, cues = read_exception_type(text)
    kind = exception_type.value if exception_type else None
    return {**extract(text), "type": kind, "exception_type": kind, "cues": cues, "description": text}


def _tool_to_call(functions: dict[str, Any], tool_choice: Any) -> str | None:
    """Which bound tool to call: the forced one, the first when any is forced, none otherwise."""
    forced = _forced_tool(tool_choice) if functions else False
    if isinstance(forced, str):
        if forced not in functions:
            raise ValueError(f"tool_choice names {forced!r}, which is not among the bound tools {list(functions)}")
        return forced
    return next(iter(functions)) if forced else None


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
        """The reply: a forced tool call filled from the grammar, the text to rephrase, or a plain refusal."""
        human = _last(messages, HumanMessage)
        text = str(human.text) if human else ""
        functions = {} if tool_choice == "none" else {t["function"]["name"]: t["function"] for t in tools}
        name = _tool_to_call(functions, tool_choice)
        if name is not None:
            args = _arguments(functions[name].get("parameters", {}), _values(text))
            return AIMessage(content="", tool_calls=[{"name": name, "args": args, "id": f"call_{len(messages)}"}])
        system = _last(messages, SystemMessage)
        if not functions and system and re.search(r"\b(?:rephrase|paraphrase)\b", str(system.text), re.IGNORECASE):
            return AIMessage(content=text)
        return AIMessage(content=NO_ANSWER)

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
            chunks = [
                tool_call_chunk(name=c["name"], args=json.dumps(c["args"]), id=c["id"], index=i)
                for i, c in enumerate(message.tool_calls)
            ]
            yield ChatGenerationChunk(message=AIMessageChunk(content="", tool_call_chunks=chunks))
            return
        for piece in re.findall(r"\s*\S+", str(message.content)) or [""]:
            yield ChatGenerationChunk(message=AIMessageChunk(content=piece))
