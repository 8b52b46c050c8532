"""Tests of the chat model factory and of structured output against a scripted OpenAI-compatible server."""

import json

import pytest
from langchain_core.messages import HumanMessage, SystemMessage
from langchain_openai import ChatOpenAI
from pydantic import BaseModel

from agents.llm import make_chat_model, structured
from agents.offline_llm import OfflineChatModel
from tests.agents.fake_openai import FakeOpenAI, error_reply, text_reply, tool_reply
from twin.settings import Settings


class Pick(BaseModel):
    """A SKU and a horizon."""

    sku: str
    horizon_weeks: int


@pytest.fixture
def use_server(monkeypatch):
    """Point YM_LLM at a scripted server."""

    def point(server: FakeOpenAI) -> None:
        monkeypatch.setenv("YM_LLM", "openai")
        monkeypatch.setenv("YM_LLM_MODEL", "local-test-model")
        monkeypatch.setenv("YM_LLM_BASE_URL", server.base_url)
        monkeypatch.delenv("YM_LLM_API_KEY", raising=False)

    return point


def test_offline_is_the_default(monkeypatch):
    monkeypatch.delenv("YM_LLM", raising=False)
    assert isinstance(make_chat_model(Settings()), OfflineChatModel)


def test_openai_provider_is_configured_from_settings():
    model = make_chat_model(Settings(llm="OpenAI", llm_model="qwen2.5-7b", llm_base_url="http://127.0.0.1:9/v1"))
    assert isinstance(model, ChatOpenAI)
    assert (model.model_name, model.openai_api_base, model.temperature, model.max_retries) == (
        "qwen2.5-7b",
        "http://127.0.0.1:9/v1",
        0,
        1,
    )
    assert model.openai_api_key.get_secret_value() == "not-needed"


def test_an_unknown_provider_is_a_clear_error():
    with pytest.raises(ValueError, match=r"YM_LLM='llamafile'.*allowed values: offline, openai"):
        make_chat_model(Settings(llm="llamafile"))


def test_openai_provider_talks_to_the_configured_server(use_server):
    with FakeOpenAI([text_reply("Hello from the server.")]) as server:
        use_server(server)
        reply = make_chat_model(Settings()).invoke([SystemMessage("Be brief."), HumanMessage("hi")])
    assert reply.text == "Hello from the server."
    body = server.requests[0]["body"]
    assert server.requests[0]["path"] == "/v1/chat/completions"
    assert (body["model"], body["temperature"]) == ("local-test-model", 0)
    assert body["messages"] == [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "hi"}]


def test_structured_uses_json_mode_with_the_schema_in_the_system_prompt(use_server):
    with FakeOpenAI([text_reply('```json\n{"sku": "SKU-0042", "horizon_weeks": 4}\n```')]) as server:
        use_server(server)
        pick = structured(make_chat_model(Settings()), Pick).invoke(
            [SystemMessage("Read the request."), HumanMessage("SKU-0042")]
        )
    assert pick == Pick(sku="SKU-0042", horizon_weeks=4)
    body = server.requests[0]["body"]
    assert body["response_format"] == {"type": "json_object"}
    assert "tools" not in body and "tool_choice" not in body
    system, human = body["messages"]
    assert system["role"] == "system" and system["content"].startswith("Read the request.\n\nAnswer with one JSON")
    assert '"horizon_weeks":{"type":"integer"}' in system["content"]
    assert human == {"role": "user", "content": "SKU-0042"}


def test_structured_falls_back_to_a_named_function_call(use_server):
    replies = [
        error_reply(400, "response_format type must be text or json_object"),
        tool_reply("Pick", {"sku": "SKU-0007", "horizon_weeks": 2}),
    ]
    with FakeOpenAI(replies) as server:
        use_server(server)
        pick = structured(make_chat_model(Settings()), Pick).invoke("SKU-0007 for two weeks")
    assert pick == Pick(sku="SKU-0007", horizon_weeks=2)
    fallback = server.requests[1]["body"]
    assert fallback["tool_choice"] == {"type": "function", "function": {"name": "Pick"}}
    assert [t["function"]["name"] for t in fallback["tools"]] == ["Pick"]
    assert "response_format" not in fallback
    assert fallback["messages"] == [{"role": "user", "content": "SKU-0007 for two weeks"}]


def test_a_reply_that_does_not_validate_also_falls_back(use_server):
    replies = [text_reply(json.dumps({"sku": "SKU-0007"})), tool_reply("Pick", {"sku": "SKU-0007", "horizon_weeks": 1})]
    with FakeOpenAI(replies) as server:
        use_server(server)
        assert structured(make_chat_model(Settings()), Pick).invoke("SKU-0007 this week") == Pick(
            sku="SKU-0007", horizon_weeks=1
        )
    assert len(server.requests) == 2


def test_structured_on_the_offline_model_uses_function_calling():
    class Codes(BaseModel):
        """Codes."""

        sku: str | None = None
        horizon_weeks: int | None = None

    assert structured(OfflineChatModel(), Codes).invoke("forecast SKU-0042 for 3 weeks") == Codes(
        sku="SKU-0042", horizon_weeks=3
    )


class Codes(BaseModel):
    """Codes the offline grammar reads."""

    sku: str | None = None
    horizon_weeks: int | None = None


def test_time_outs_and_retries_come_from_the_settings():
    model = make_chat_model(
        Settings(
            llm="openai",
            llm_base_url="http://127.0.0.1:9/v1",
            llm_connect_timeout_s=2,
            llm_read_timeout_s=7,
            llm_max_retries=3,
        )
    )
    assert (model.request_timeout.connect, model.request_timeout.read, model.max_retries) == (2, 7, 3)


@pytest.mark.parametrize("replies", [[], [error_reply(500, "model crashed")] * 4], ids=["down", "failing"])
def test_structured_answers_from_the_offline_model_when_the_endpoint_fails(replies, caplog):
    with FakeOpenAI(replies) as server:
        base_url = server.base_url
        if not replies:
            server.server.shutdown()
            server.server.server_close()
        model = make_chat_model(
            Settings(
                llm="openai", llm_base_url=base_url, llm_max_retries=1, llm_connect_timeout_s=1, llm_read_timeout_s=2
            )
        )
        answer = structured(model, Codes).invoke("forecast SKU-0042 for 3 weeks")
    assert answer == Codes(sku="SKU-0042", horizon_weeks=3)
    reason = "ConnectionError: Connection error." if not replies else "APIError: Error code: 500 - model crashed"
    assert reason in caplog.text and "offline model answered" in caplog.text
    assert len(server.requests) == (0 if not replies else 2), "one retry, then the offline model"
