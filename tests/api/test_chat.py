"""POST /v1/chat: turns streamed as Server-Sent Events, threads continued by id, acts confirmed, answers counted."""

import json

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from twin import models as m
from twin.db import make_engine


def sse(client: TestClient, body: dict) -> list[tuple[str, dict]]:
    """Post a chat turn and parse its event stream into (event, data) pairs."""
    response = client.post("/v1/chat", json=body)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/event-stream")
    events = []
    for block in response.text.strip().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if not line.startswith(":"))
        if fields:  # a block of comments only is the stream's keep-alive ping
            events.append((fields["event"], json.loads(fields["data"])))
    return events


def kinds(events: list[tuple[str, dict]]) -> list[str]:
    """The event names in order, repeated tokens collapsed."""
    names = [name for name, _ in events]
    return [name for index, name in enumerate(names) if index == 0 or name != names[index - 1]]


def final(events: list[tuple[str, dict]]) -> dict:
    """The final event's data."""
    assert events[-1][0] == "final", events[-1]
    return events[-1][1]


def test_a_thread_of_turns_with_follow_ups_and_a_confirmed_rejection(api_client, seeded_url):
    client = api_client("planner")
    first = sse(client, {"message": "Forecast SKU-0042 at Dallas for the next 2 weeks"})
    assert kinds(first) == ["tool_call", "tool_result", "token", "final"]
    call, result, answer = first[0][1], first[1][1], final(first)
    assert call == {
        "id": call["id"],
        "name": "forecast_demand",
        "args": {"sku": "SKU-0042", "location": "DC-DAL", "horizon_weeks": 2},
    }
    assert result["ok"] and "evidence" not in result["result"] and result["evidence_ids"]
    assert "".join(data["text"] for name, data in first if name == "token") == answer["answer"]
    assert str(result["result"]["total"]["p50"]) in answer["answer"] and answer["verified"]
    thread = answer["thread_id"]

    follow = sse(client, {"message": "and in Houston?", "thread_id": thread})
    assert follow[0][1]["name"] == "forecast_demand" and follow[0][1]["args"]["location"] == "DC-HOU"

    report = sse(api_client("viewer"), {"message": "Truck 7 is overheating and losing oil pressure", "thread_id": "v"})
    assert final(report)["answer"] == (
        "I could not do that: the viewer role cannot report exceptions; integrator, planner or admin can."
    )
    integrator = api_client("integrator")
    staged = sse(integrator, {"message": "Truck 7 is overheating and losing oil pressure", "thread_id": "ops"})
    assert kinds(staged) == ["token", "final"] and final(staged)["answer"].endswith("for TRK-007? yes/no")
    assert integrator.get("/v1/exceptions").json()["total"] == 0
    done = sse(integrator, {"message": "yes", "thread_id": "ops"})
    decision_id = done[1][1]["result"]["decision_id"]
    assert integrator.get("/v1/exceptions").json()["total"] == 1

    reject = sse(client, {"message": f"reject {decision_id}, the customer was already called", "thread_id": thread})
    assert final(reject)["answer"] == f"Reject {decision_id} because the customer was already called? yes/no"
    assert client.get(f"/v1/decisions/{decision_id}").json()["status"] == "pending_approval"
    rejected = sse(client, {"message": "yes", "thread_id": thread})
    assert rejected[1][1]["result"]["status"] == "rejected"
    engine = make_engine(seeded_url)
    with Session(engine) as session:
        approval = session.exec(select(m.Approval).where(m.Approval.decision_id == decision_id)).one()
    engine.dispose()
    assert (approval.verdict, approval.reason, approval.actor) == (
        "reject",
        "the customer was already called",
        "test-planner",
    )

    metrics = client.get("/metrics").text
    assert 'yardmaster_chat_answers_total{model="OfflineChatModel",outcome="verified"} 4.0' in metrics
    assert 'outcome="template_fallback"' not in metrics


def test_a_viewer_is_refused_plainly(api_client):
    events = sse(api_client("viewer"), {"message": "approve DEC-0123456789AB", "thread_id": "viewer-1"})
    assert [name for name, _ in events][:2] == ["tool_call", "tool_result"] and not events[1][1]["ok"]
    assert final(events) == {
        "thread_id": "viewer-1",
        "verified": True,
        "answer": "I could not do that: the viewer role cannot approve decisions; planner, architect or admin can.",
    }


def test_chat_needs_a_key_and_a_valid_body(api_client):
    assert api_client(None).post("/v1/chat", json={"message": "hi"}).status_code == 401
    client = api_client("viewer")
    assert client.post("/v1/chat", json={"message": ""}).status_code == 422
    assert client.post("/v1/chat", json={"message": "hi", "thread_id": "../other"}).status_code == 422
