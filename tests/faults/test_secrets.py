"""Secrets stay secret on a real server: a webhook URL's path and query (a Slack-style token) are shown only to
architects and admins, in the audit (older rows too) as in the list."""

from datetime import UTC, datetime

import httpx
import pytest

from twin import models as m
from twin.db import make_engine, session_scope

pytestmark = pytest.mark.slow
TOKEN = "T0AAA/B0BBB/s3cr3tT0k3n"
HOOK = f"https://hooks.example.com/services/{TOKEN}?token=q5ecret"


def older_row(url: str) -> None:
    """An audit row written before URLs were redacted when stored."""
    engine = make_engine(url)
    with session_scope(engine) as session:
        detail = {"subscription_id": "wh_old", "url": HOOK, "event_types": ["*"]}
        session.add(m.AuditEvent(at=datetime.now(UTC), actor="old", kind="webhook_created", detail=detail))
        session.commit()
    engine.dispose()


def test_webhook_urls_are_redacted_for_all_but_architects_and_admins(server, seeded_url):
    server.start()
    keys = {role: server.key(role) for role in ("viewer", "planner", "integrator", "architect", "admin")}
    older_row(seeded_url)
    created = httpx.post(
        f"{server.url}/v1/webhooks", json={"url": HOOK, "event_types": ["*"]}, headers=keys["architect"]
    )
    assert created.status_code == 201 and created.json()["url"] == HOOK
    for role in ("viewer", "planner", "integrator"):
        audit = httpx.get(f"{server.url}/v1/audit", params={"kind": "webhook_created"}, headers=keys[role])
        assert audit.status_code == 200
        assert [row["detail"]["url"] for row in audit.json()["items"]] == ["https://hooks.example.com/[redacted]"] * 2
        assert "s3cr3t" not in audit.text and "q5ecret" not in audit.text
        assert httpx.get(f"{server.url}/v1/webhooks", headers=keys[role]).status_code == 403
    for role in ("architect", "admin"):
        listed = httpx.get(f"{server.url}/v1/webhooks", headers=keys[role]).json()
        assert [hook["url"] for hook in listed] == [HOOK]
        audit = httpx.get(f"{server.url}/v1/audit", params={"kind": "webhook_created"}, headers=keys[role]).json()
        assert [row["detail"]["url"] for row in audit["items"]] == [HOOK, "https://hooks.example.com/[redacted]"]
    deleted = httpx.delete(f"{server.url}/v1/webhooks/{created.json()['id']}", headers=keys["admin"])
    assert deleted.status_code == 204
    audit = httpx.get(f"{server.url}/v1/audit", params={"kind": "webhook_deleted"}, headers=keys["viewer"])
    assert "s3cr3t" not in audit.text and audit.json()["items"][0]["detail"]["url"].endswith("/[redacted]")
