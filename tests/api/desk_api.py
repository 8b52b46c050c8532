"""A client of one app holding keys of every role, a way to get a decision that waits for approval, and many more."""

from fastapi.testclient import TestClient
from httpx import Response
from sqlmodel import select

from tests.api.conftest import issue_key
from twin import models as m
from twin.access import ROLES
from twin.db import make_engine, session_scope

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


def clone_pending(database_url: str, count: int) -> None:
    """Add pending decisions (copies of a real one, each on its own exception) until `count` wait."""
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
                    **template.model_dump(exclude={"id", "exception_id", "payload"}),
                    id=f"DEC-{suffix}",
                    exception_id=f"EXC-{suffix}",
                    payload={**template.payload, "decision_id": f"DEC-{suffix}", "exception_id": f"EXC-{suffix}"},
                )
            )
        session.commit()
    engine.dispose()


def quality_counts(client: TestClient, intake: str) -> dict[str, float]:
    """The data-quality counters of an intake, by reason, read from /metrics."""
    prefix = f'yardmaster_data_quality_total{{intake="{intake}",reason="'
    return {
        line[len(prefix) :].split('"')[0]: float(line.rsplit(" ", 1)[1])
        for line in client.get("/metrics").text.splitlines()
        if line.startswith(prefix)
    }
