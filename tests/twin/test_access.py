"""The access store: key issue, check and revocation; outbox fan-out to webhook subscribers."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, select

from twin import access
from twin.access import WebhookDelivery
from twin.db import make_engine
from twin.models import AuditEvent, OutboxMessage

NOW = datetime(2030, 1, 2, 8, 0, tzinfo=UTC)


@pytest.fixture
def session(empty_url):
    """A session on a private, empty database."""
    engine = make_engine(empty_url)
    with Session(engine) as session:
        yield session
    engine.dispose()


def test_keys_authenticate_until_revoked(session):
    issued = access.create_key(session, "architect", actor="root")
    assert issued.key.startswith(f"ym_{issued.id}_") and issued.name == f"architect-{issued.id}"
    assert access.authenticate(session, issued.key).role == "architect"
    other = access.create_key(session, "viewer")
    spliced = f"ym_{issued.id}_{other.key.split('_', 2)[2]}"
    assert access.authenticate(session, spliced) is None
    assert access.authenticate(session, issued.key.replace("ym_", "xx_", 1)) is None
    first = access.revoke_key(session, issued.id, actor="root").revoked_at
    assert access.authenticate(session, issued.key) is None
    assert access.revoke_key(session, issued.id).revoked_at == first
    kinds = session.exec(select(AuditEvent.kind).where(AuditEvent.actor == "root").order_by(AuditEvent.id)).all()
    assert kinds == ["api_key_created", "api_key_revoked"]
    with pytest.raises(LookupError):
        access.revoke_key(session, "ffffffff")
    with pytest.raises(ValueError, match="unknown role"):
        access.create_key(session, "root")


def _message(session: Session, message_id: str, event_type: str) -> None:
    """Put one message in the outbox."""
    session.add(
        OutboxMessage(id=message_id, decision_id="DEC-1", event_type=event_type, payload={"n": 1}, created_at=NOW)
    )


def test_fan_out_matches_event_types_once(session):
    routes = access.add_subscription(session, "http://a.test/", ["route.replanned"], "s" * 16, "arch")
    everything = access.add_subscription(session, "http://b.test/", ["*"], "t" * 16, "arch")
    gone = access.add_subscription(session, "http://c.test/", ["*"], "u" * 16, "arch")
    assert access.remove_subscription(session, gone.id, "arch") and not access.remove_subscription(
        session, gone.id, "arch"
    )
    _message(session, "M1", "route.replanned")
    _message(session, "M2", "transfer.created")

    assert access.fan_out(session, NOW) == 3
    assert access.fan_out(session, NOW + timedelta(seconds=1)) == 0
    pairs = {(d.message_id, d.subscription_id): d.id for d in session.exec(select(WebhookDelivery)).all()}
    assert set(pairs) == {("M1", routes.id), ("M1", everything.id), ("M2", everything.id)}
    assert pairs[("M1", routes.id)] == access.delivery_id("M1", routes.id) != access.delivery_id("M1", everything.id)
    assert all(message.delivered_at == NOW for message in session.exec(select(OutboxMessage)).all())

    assert len(access.due_deliveries(session, NOW)) == 3
    assert access.due_deliveries(session, NOW - timedelta(seconds=1)) == []
    access.remove_subscription(session, everything.id, "arch")
    assert [delivery.id for delivery, _, _ in access.due_deliveries(session, NOW)] == [pairs[("M1", routes.id)]]
