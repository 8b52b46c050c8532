"""A client of one app holding keys of every role, a way to get a decision that waits for approval, and many more."""

from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from httpx import Response
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import BaseCheckpointSaver, CheckpointTuple
from sqlmodel import select

from agents.schemas import Decision, ExceptionIn
from graph.checkpoint import open_checkpointer
from tests.api.conftest import issue_key
from twin import models as m
from twin.access import ROLES
from twin.db import make_engine, session_scope
from twin.settings import Settings

CAPACITY_LOSS = {
    "type": "carrier_capacity",
    "refs": {"carrier": "CAR-REDRIVER"},
    "description": "Red River cannot take any loads next week",
}


class DeskApi:
    """Calls one app instance as any role (None: without a key)."""

    def __init__(self, client: TestClient, url: str) -> None:
        self.client = client
        self.headers = {role: {"Authorization": f"Bearer {issue_key(url, role, f'test-{role}').key}"} for role in ROLES}

    def call(self, method: str, path: str, role: str | None = "admin", **kwargs) -> Response:
        """One request with the role's key."""
        return self.client.request(method, path, headers=self.headers.get(role, {}), **kwargs)

    def pending_decision(self) -> dict:
        """A decision paused for approval: re-tendering is set to level 2, then a carrier loses its capacity."""
        assert (
            self.call("PUT", "/v1/policies/retender_loads", role="architect", json={"autonomy_level": 2}).status_code
            == 200
        )
        response = self.call("POST", "/v1/exceptions", role="integrator", json=CAPACITY_LOSS)
        assert response.status_code == 201 and response.json()["status"] == "pending_approval", response.text
        return response.json()


def detail_locs(response: Response) -> list[list]:
    """The `loc` of every error in a 422 answer."""
    assert response.status_code == 422, response.text
    return [error["loc"] for error in response.json()["detail"]]


def clone_pending(database_url: str, data_dir: Path, count: int) -> None:
    """Add pending decisions until `count` wait: copies of a real one, each on its own exception and its own graph
    thread, paused for approval at a copy of the real one's checkpoint, so a verdict on a copy concludes that copy."""
    engine = make_engine(database_url)
    with session_scope(engine) as session:
        pending = session.exec(select(m.DecisionRecord).where(m.DecisionRecord.status == "pending_approval")).all()
        template = pending[0]
        exception = session.get(m.ExceptionRecord, template.exception_id)
        suffixes = [f"LOAD{index:08d}" for index in range(count - len(pending))]
        for suffix in suffixes:
            session.add(
                m.ExceptionRecord(
                    **exception.model_dump(exclude={"id", "external_id", "idempotency_key"}), id=f"EXC-{suffix}"
                )
            )
        session.flush()
        for suffix in suffixes:
            session.add(
                m.DecisionRecord(
                    **template.model_dump(exclude={"id", "exception_id", "thread_id", "payload"}),
                    id=f"DEC-{suffix}",
                    exception_id=f"EXC-{suffix}",
                    thread_id=f"EXC-{suffix}",
                    payload={**template.payload, "decision_id": f"DEC-{suffix}", "exception_id": f"EXC-{suffix}"},
                )
            )
        session.commit()
        thread_id = template.thread_id
    engine.dispose()
    with open_checkpointer(Settings(database_url=database_url, data_dir=data_dir)) as saver:
        paused = saver.get_tuple(thread_config(thread_id))  # a waiting decision's latest checkpoint: its pause
        assert paused is not None and paused.pending_writes, f"thread {thread_id} is not paused"
        for suffix in suffixes:
            copy_paused(saver, paused, f"EXC-{suffix}", f"DEC-{suffix}")


def thread_config(thread_id: str) -> RunnableConfig:
    """The graph config of a thread's root namespace."""
    return {"configurable": {"thread_id": thread_id, "checkpoint_ns": ""}}


def copy_paused(saver: BaseCheckpointSaver, paused: CheckpointTuple, exception_id: str, decision_id: str) -> None:
    """Store a paused checkpoint, with its pending writes (the interrupt), as the one checkpoint of the exception's
    thread, its state naming that exception and decision."""
    values = paused.checkpoint["channel_values"]
    decision = Decision.model_validate(values["decision"])
    checkpoint = {
        **paused.checkpoint,
        "channel_values": {
            **values,
            "exception_id": exception_id,
            "exception": ExceptionIn.model_validate(values["exception"]).model_copy(update={"external_id": None}),
            "decision": decision.model_copy(update={"decision_id": decision_id, "exception_id": exception_id}),
        },
    }
    config = saver.put(thread_config(exception_id), checkpoint, paused.metadata, paused.checkpoint["channel_versions"])
    writes: dict[str, list[tuple[str, Any]]] = {}
    for task_id, channel, value in paused.pending_writes or []:
        writes.setdefault(task_id, []).append((channel, value))
    for task_id, task_writes in writes.items():
        saver.put_writes(config, task_writes, task_id)


def quality_counts(client: TestClient, intake: str) -> dict[str, float]:
    """The data-quality counters of an intake, by reason, read from /metrics."""
    prefix = f'yardmaster_data_quality_total{{intake="{intake}",reason="'
    return {
        line[len(prefix) :].split('"')[0]: float(line.rsplit(" ", 1)[1])
        for line in client.get("/metrics").text.splitlines()
        if line.startswith(prefix)
    }
