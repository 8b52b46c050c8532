"""POST /v1/chat: one turn streamed as Server-Sent Events, any role, threads continued by id."""

import json

from fastapi.testclient import TestClient


def sse(client: TestClient, body: dict) -> list[tuple[str, dict]]:
    """Post a chat turn and parse its event stream into (event, data) pairs."""
    response = client.post("/v1/chat", json=body)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/event-stream")
    events = []
    for block in response.text.strip().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if not line.startswith(":"))
        events.append((fields["event"], json.loads(fields["data"])))
    return events


def kinds(events: list[tuple[str, dict]]) -> list[str]:
    """The event names in order, repeated tokens collapsed."""
    names = [name for name, _ in events]
    return [name for index, name in enumerate(names) if index == 0 or name != names[index - 1]]


def test_a_chat_turn_streams_tokens_tool_steps_and_the_final_answer(api_client):
    client = api_client("planner")
    first = sse(client, {"message": "Forecast SKU-0042 at Dallas for the next 2 weeks"})
    assert kinds(first) == ["tool_call", "tool_result", "token", "final"]
    call, result, final = first[0][1], first[1][1], first[-1][1]
    assert call == {"id": call["id"], "name": "forecast_demand",
                    "args": {"sku": "SKU-0042", "location": "DC-DAL", "horizon_weeks": 2}}
    assert result["ok"] and "evidence" not in result["result"] and result["evidence_ids"]
    assert "".join(data["text"] for name, data in first if name == "token") == final["answer"]
    assert f"total.p90: {result['result']['total']['p90']}" in final["answer"]

    second = sse(client, {"message": "What if Swiftline loses 40% of its capacity?", "thread_id": final["thread_id"]})
    assert second[0][1]["name"] == "what_if_capacity" and second[-1][1]["thread_id"] == final["thread_id"]
    assert second[1][1]["result"]["carrier"] == "CAR-SWIFTLINE"


def test_any_role_may_chat_but_a_viewer_cannot_approve(api_client):
    events = sse(api_client("viewer"), {"message": "approve DEC-0123456789AB", "thread_id": "viewer-1"})
    assert [name for name, _ in events][:2] == ["tool_call", "tool_result"] and not events[1][1]["ok"]
    assert events[-1] == ("final", {"thread_id": "viewer-1", "answer": "approve_decision failed: the viewer role "
                                    "cannot approve decisions; planner or admin can"})


def test_chat_needs_a_key_and_a_valid_body(api_client):
    assert api_client(None).post("/v1/chat", json={"message": "hi"}).status_code == 401
    client = api_client("viewer")
    assert client.post("/v1/chat", json={"message": ""}).status_code == 422
    assert client.post("/v1/chat", json={"message": "hi", "thread_id": "../other"}).status_code == 422
