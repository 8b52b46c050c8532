"""Webhook subscriptions over HTTP: architects register, list and delete receivers; each write is audited."""

from sqlalchemy import select
from sqlmodel import Session

from tests.api.conftest import WEBHOOK_KEY
from twin.access import WebhookSubscription
from twin.db import make_engine
from twin.models import AuditEvent
from worker.webhooks import SecretBox


def test_register_list_delete(api_client, seeded_url):
    client = api_client("architect")
    created = client.post(
        "/v1/webhooks",
        json={"url": "https://erp.example.com/hooks", "event_types": ["route.replanned", " route.replanned", "*"]},
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert len(body["secret"]) >= 32 and body["created_by"] == "test-architect"
    assert body["event_types"] == ["route.replanned", "*"]
    own = client.post(
        "/v1/webhooks",
        json={"url": "http://127.0.0.1:8080/in", "event_types": ["transfer.created"], "secret": "a-secret-of-my-own"},
    )
    assert own.status_code == 201 and own.json()["secret"] is None

    listed = client.get("/v1/webhooks").json()
    assert [row["id"] for row in listed] == [body["id"], own.json()["id"]]
    assert all("secret" not in row for row in listed)
    assert client.delete(f"/v1/webhooks/{body['id']}").status_code == 204
    assert client.delete(f"/v1/webhooks/{body['id']}").status_code == 404
    assert [row["id"] for row in client.get("/v1/webhooks").json()] == [own.json()["id"]]

    engine = make_engine(seeded_url)
    with Session(engine) as session:
        audit = session.execute(
            select(AuditEvent.actor, AuditEvent.kind).where(AuditEvent.kind.like("webhook%")).order_by(AuditEvent.id)
        ).all()
        stored = session.get(WebhookSubscription, own.json()["id"])
    engine.dispose()
    assert [tuple(row) for row in audit] == [("test-architect", "webhook_created")] * 2 + [
        ("test-architect", "webhook_deleted")
    ]
    assert "a-secret-of-my-own" not in stored.secret
    assert SecretBox(WEBHOOK_KEY).unseal(stored.secret) == "a-secret-of-my-own"


def test_credentials_and_private_targets_are_refused(api_client, seeded_url, monkeypatch):
    monkeypatch.setenv("YM_WEBHOOK_ALLOW_PRIVATE", "0")
    client = api_client("architect")
    refused = client.post("/v1/webhooks", json={"url": "https://ops:hunter2@erp.example.com/in", "event_types": ["*"]})
    assert refused.status_code == 422 and refused.json()["detail"][0]["loc"] == ["body", "url"]
    assert "hunter2" not in refused.text
    for url in (
        "http://127.0.0.1:9/in",
        "http://localhost/in",
        "http://10.1.2.3/in",
        "http://169.254.169.254/x",
        "http://[::1]/in",
        "http://192.168.0.5/in",
    ):
        answer = client.post("/v1/webhooks", json={"url": url, "event_types": ["*"]})
        assert answer.status_code == 422 and ("address" in answer.text or "loopback" in answer.text), (url, answer.text)
    assert (
        client.post("/v1/webhooks", json={"url": "https://93.184.216.34/in", "event_types": ["*"]}).status_code == 201
    )
    assert "hunter2" not in client.get("/v1/audit").text


def test_bad_subscriptions_are_422_and_other_roles_403(api_client):
    client = api_client("architect")
    for bad in (
        {"url": "ftp://example.com/", "event_types": ["*"]},
        {"url": "http://example.com/", "event_types": []},
        {"url": "http://example.com/", "event_types": ["*"], "secret": "short"},
    ):
        assert client.post("/v1/webhooks", json=bad).status_code == 422, bad
    viewer = api_client("viewer")
    assert viewer.get("/v1/webhooks").status_code == 403
    assert viewer.delete("/v1/webhooks/wh_0").status_code == 403
