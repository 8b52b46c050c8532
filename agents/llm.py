"""The chat model provider (`YM_LLM`: offline or any OpenAI-compatible endpoint) and portable structured output."""

import json
import logging
import sys
from typing import TYPE_CHECKING, TypeVar

from langchain_core.exceptions import OutputParserException
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage, convert_to_messages
from langchain_core.prompt_values import PromptValue
from langchain_core.runnables import Runnable, RunnableLambda
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import BaseModel, SecretStr, ValidationError

from agents.offline_llm import OfflineChatModel
from twin.settings import Settings

if TYPE_CHECKING:
    from langchain_openai.chat_models.base import BaseChatOpenAI

logger = logging.getLogger(__name__)
M = TypeVar("M", bound=BaseModel)

PROVIDERS = ("offline", "openai")
JSON_INSTRUCTION = (
    "Answer with one JSON object only, no prose and no code fences, that matches this JSON schema; "
    "use null for anything the input does not state:\n{schema}"
)


def make_chat_model(settings: Settings) -> BaseChatModel:
    """The chat model `YM_LLM` names: the offline model (default) or an OpenAI-compatible endpoint."""
    provider = settings.llm.strip().lower()
    if provider == "offline":
        return OfflineChatModel()
    if provider == "openai":
        import httpx  # the OpenAI stack loads only for this provider
        from langchain_openai import ChatOpenAI

        return ChatOpenAI(
            model=settings.llm_model,
            base_url=settings.llm_base_url,
            api_key=SecretStr(settings.llm_api_key or "not-needed"),
            temperature=0,
            timeout=httpx.Timeout(settings.llm_read_timeout_s, connect=settings.llm_connect_timeout_s),
            max_retries=settings.llm_max_retries,
        )
    raise ValueError(
        f"YM_LLM={settings.llm!r} is not a known chat model provider; allowed values: {', '.join(PROVIDERS)}"
    )


def _with_schema_instruction(schema: type[BaseModel]) -> RunnableLambda[LanguageModelInput, list[BaseMessage]]:
    """A step that adds the JSON instruction to the first system message (or a new one) of any model input."""
    parameters = convert_to_openai_tool(schema)["function"]["parameters"]
    instruction = JSON_INSTRUCTION.format(schema=json.dumps(parameters, separators=(",", ":")))

    def add(value: LanguageModelInput) -> list[BaseMessage]:
        """The input as messages, the first one a system message that carries the instruction."""
        if isinstance(value, PromptValue):
            messages = value.to_messages()
        elif isinstance(value, str):
            messages = [HumanMessage(value)]
        else:
            messages = convert_to_messages(value)
        if messages and isinstance(messages[0], SystemMessage):
            return [SystemMessage(f"{messages[0].text}\n\n{instruction}"), *messages[1:]]
        return [SystemMessage(instruction), *messages]

    return RunnableLambda(add)


def _answer(schema: type[M], value: object) -> M | None:
    """A structured answer as the schema's instance (None when the model gave none); TypeError for anything else."""
    if value is None or isinstance(value, schema):
        return value
    raise TypeError(f"expected a {schema.__name__} answer, got {type(value).__name__}")


def structured(model: BaseChatModel, schema: type[M]) -> Runnable[LanguageModelInput, M | None]:
    """A runnable that answers with a validated `schema` instance, on any OpenAI-compatible server.

    OpenAI-compatible endpoints first use JSON mode (`response_format={"type": "json_object"}`) with the JSON
    schema in the system prompt, because local servers such as llama.cpp accept only `text` or `json_object`
    response formats and only `auto` or a named function as tool choice. If the server rejects that request or
    the reply does not validate, function calling with the schema as a named tool is tried. When the endpoint
    is down, times out or answers garbage, the offline model answers and the reason is logged. Other chat
    models (the offline one, test fakes) use their own `with_structured_output`, i.e. function calling.
    """
    remote_model = _openai_compatible(model)
    if remote_model is None:
        return model.with_structured_output(schema) | RunnableLambda(lambda value: _answer(schema, value))
    import openai

    refused_format = (
        openai.BadRequestError,
        openai.UnprocessableEntityError,
        OutputParserException,
        ValidationError,
        ValueError,
    )
    json_mode = _with_schema_instruction(schema) | model.with_structured_output(schema, method="json_mode")
    remote = json_mode.with_fallbacks(
        [model.with_structured_output(schema, method="function_calling")], exceptions_to_handle=refused_format
    )
    offline = OfflineChatModel().with_structured_output(schema)

    def read(value: LanguageModelInput) -> M | None:
        """The endpoint's answer, or the offline model's when the endpoint fails."""
        try:
            return _answer(schema, remote.invoke(value))
        except Exception as error:  # whatever the endpoint did, the offline model still answers
            logger.warning(
                "LLM %s failed (%s); the offline model answered instead", remote_model.model_name, failure(error)
            )
            return _answer(schema, offline.invoke(value))

    return RunnableLambda(read)


def model_type(model: BaseChatModel) -> str:
    """The chat model's type as LangChain names it (e.g. `openai-chat`), for the evidence it leaves."""
    return str(model.asdict()["_type"])


def _openai_compatible(model: BaseChatModel) -> "BaseChatOpenAI | None":
    """The chat model if it talks to an OpenAI-compatible endpoint, else None (never one unless langchain_openai is
    loaded)."""
    if "langchain_openai.chat_models.base" not in sys.modules:
        return None
    from langchain_openai.chat_models.base import BaseChatOpenAI

    return model if isinstance(model, BaseChatOpenAI) else None


def failure(error: BaseException) -> str:
    """A short, real reason for a failed LLM call: the error class and the first line of its message."""
    first_line = str(error).splitlines()[0] if str(error) else ""
    return f"{type(error).__name__}: {first_line}"[:200]
