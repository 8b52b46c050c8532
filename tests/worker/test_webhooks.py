"""Webhook delivery to a real receiver on loopback: signatures, stable delivery ids, backoff, the background loop."""

import json
import time
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from tests.api.conftest import WEBHOOK_KEY
from twin.access import WebhookBreaker, WebhookDelivery, WebhookLease, delivery_id
from twin.db import make_engine, session_scope
from twin.models import OutboxMessage
from worker.webhooks import Dispatcher, SecretBox, WebhookSettings

T0 = datetime(2030, 1, 2, 8, 0, tzinfo=UTC)
POLICY = WebhookSettings(backoff_s=2, max_backoff_s=60, max_attempts=4, allow_private=True, secret_key=WEBHOOK_KEY)


def _subscribe(api_client, receiver, event_types: list[str]) -> str:
    """Register the receiver through the API; keep the returned secret on it; the subscription id."""
    response = api_client("architect").post("/v1/webhooks", json={"url": receiver.url, "event_types": event_types})
    assert response.status_code == 201, response.text
    receiver.secret = response.json()["secret"]
    return response.json()["id"]


def _outbox(url: str, *messages: tuple[str, str]) -> None:
    """Put (id, event type) messages in the outbox of the database at the URL."""
    engine = make_engine(url)
    with session_scope(engine) as session:
        session.add_all(
            OutboxMessage(
                id=message_id,
                decision_id="DEC-7",
                event_type=event_type,
                payload={"route": "RT-1", "stops": 3},
                created_at=T0,
            )
            for message_id, event_type in messages
        )
    engine.dispose()


def _deliver(engine: Engine, now: datetime) -> int:
    """One delivery round at `now` by a dispatcher of its own (as a fresh process would run it); how many it
    delivered."""
    with httpx.Client(timeout=5) as client:
        dispatcher = Dispatcher(engine, client, POLICY, SecretBox(WEBHOOK_KEY))
        delivered = sum(started.result() for started in dispatcher.round(now))
        dispatcher.close()
    return delivered


def _round(url: str, now: datetime, key: str) -> tuple[int, WebhookDelivery | None]:
    """One delivery round at `now`: how many were delivered, and the delivery `key` afterwards."""
    engine = make_engine(url)
    delivered = _deliver(engine, now)
    with Session(engine, expire_on_commit=False) as session:
        row = session.get(WebhookDelivery, key)
        total = len(session.exec(select(WebhookDelivery)).all())
    engine.dispose()
    assert total <= 1, "only the subscribed event type gets a delivery"
    return delivered, row


def test_retried_delivery_keeps_its_id_and_is_accepted_once(api_client, webhook_receiver, seeded_url):
    receiver = webhook_receiver([500, 500])
    key = delivery_id("M1", _subscribe(api_client, receiver, ["route.replanned"]))
    _outbox(seeded_url, ("M1", "route.replanned"), ("M2", "transfer.created"))

    delivered, row = _round(seeded_url, T0, key)
    assert (delivered, row.attempts, row.last_error, row.delivered_at) == (0, 1, "HTTP 500", None)
    assert row.next_attempt_at == T0 + timedelta(seconds=2)
    assert _round(seeded_url, T0 + timedelta(seconds=1), key)[0] == 0 and len(receiver.seen) == 1  # not due yet
    delivered, row = _round(seeded_url, T0 + timedelta(seconds=2), key)
    assert (delivered, row.attempts, row.next_attempt_at) == (0, 2, T0 + timedelta(seconds=6))
    assert [_round(seeded_url, T0 + timedelta(seconds=step), key)[0] for step in (6, 60, 600)] == [1, 0, 0]

    row = _round(seeded_url, T0 + timedelta(seconds=700), key)[1]
    assert (row.attempts, row.delivered_at, row.next_attempt_at, row.last_error) == (
        3,
        T0 + timedelta(seconds=6),
        None,
        None,
    )
    assert [item.status for item in receiver.seen] == [500, 500, 200]
    assert {item.delivery for item in receiver.seen} == {key}
    assert all(item.signature_ok and item.event == "route.replanned" for item in receiver.seen)
    assert len({item.body for item in receiver.seen}) == 1
    (accepted,) = receiver.deduped().values()
    body = json.loads(accepted.body)
    assert (body["message_id"], body["decision_id"], body["payload"]) == ("M1", "DEC-7", {"route": "RT-1", "stops": 3})


def test_unreachable_subscriber_is_given_up_after_max_attempts(api_client, webhook_receiver, seeded_url):
    receiver = webhook_receiver([])
    key = delivery_id("M1", _subscribe(api_client, receiver, ["*"]))
    receiver.server.shutdown()
    receiver.server.server_close()
    _outbox(seeded_url, ("M1", "route.replanned"))
    for step in range(8):
        _round(seeded_url, T0 + timedelta(minutes=step), key)
    row = _round(seeded_url, T0 + timedelta(hours=1), key)[1]
    assert (row.attempts, row.next_attempt_at, row.delivered_at) == (4, None, None)
    assert row.last_error.startswith("ConnectError")


def test_a_subscriber_open_circuit_holds_every_process(api_client, webhook_receiver, seeded_url):
    receiver = webhook_receiver([500])
    subscription = _subscribe(api_client, receiver, ["*"])
    _outbox(seeded_url, ("M1", "route.replanned"), ("M2", "route.replanned"))
    first, second = make_engine(seeded_url), make_engine(seeded_url)  # two delivering processes on one database
    assert _deliver(first, T0) == 0 and len(receiver.seen) == 1  # the first delivery fails: the circuit opens
    with Session(second) as session:
        breaker = session.get(WebhookBreaker, subscription)
        deliveries = session.exec(select(WebhookDelivery).order_by(WebhookDelivery.attempts)).all()
    assert (breaker.failures, breaker.open_until) == (1, T0 + timedelta(seconds=2))
    waiting, failed = deliveries
    assert (waiting.attempts, failed.attempts) == (0, 1)
    assert waiting.next_attempt_at <= T0  # due, but held by the other process's failure
    assert _deliver(second, T0 + timedelta(seconds=1)) == 0 and len(receiver.seen) == 1
    assert _deliver(second, T0 + timedelta(seconds=2)) == 2  # half-open after the wait: both go, in order
    assert [item.status for item in receiver.seen] == [500, 200, 200]
    with Session(first) as session:
        assert session.get(WebhookBreaker, subscription) is None  # the success closed it for every process
    first.dispose()
    second.dispose()


def test_two_processes_deliver_each_message_once_and_in_order(api_client, webhook_receiver, seeded_url):
    receiver = webhook_receiver([])
    receiver.delay_s = 0.3  # slow enough that both processes' rounds overlap
    subscription = _subscribe(api_client, receiver, ["*"])
    _outbox(seeded_url, *((f"M{k}", "route.replanned") for k in range(4)))
    engines = [make_engine(seeded_url), make_engine(seeded_url)]
    with httpx.Client(timeout=5) as client:
        dispatchers = [Dispatcher(engine, client, POLICY, SecretBox(WEBHOOK_KEY)) for engine in engines]
        started = [future for dispatcher in dispatchers for future in dispatcher.round(T0)]
        delivered = sum(future.result() for future in started)
        assert sum(future.result() for future in dispatchers[1].round(T0)) == 0  # nothing left, lease released
        for dispatcher in dispatchers:
            dispatcher.close()
    expected = sorted(delivery_id(f"M{k}", subscription) for k in range(4))  # one timestamp: by id
    assert (delivered, [item.delivery for item in receiver.seen]) == (4, expected)
    with Session(engines[0]) as session:
        assert session.get(WebhookLease, subscription) is None
    for engine in engines:
        engine.dispose()


def test_a_dead_process_lease_runs_out(api_client, webhook_receiver, seeded_url):
    receiver = webhook_receiver([])
    subscription = _subscribe(api_client, receiver, ["*"])
    _outbox(seeded_url, ("M1", "route.replanned"))
    engine = make_engine(seeded_url)
    with session_scope(engine) as session:
        session.add(
            WebhookLease(subscription_id=subscription, holder="gone:1:x", leased_until=T0 + timedelta(seconds=30))
        )
    assert _deliver(engine, T0) == 0 and receiver.seen == []  # another process holds the subscriber
    assert _deliver(engine, T0 + timedelta(seconds=30)) == 1  # its lease ran out: this process takes over
    engine.dispose()


def test_the_app_delivers_in_the_background(api_client, webhook_receiver, seeded_url, monkeypatch):
    receiver = webhook_receiver([])
    _subscribe(api_client, receiver, ["route.replanned"])
    monkeypatch.setenv("YM_WEBHOOK_INTERVAL_S", "0.05")
    api_client("viewer")
    _outbox(seeded_url, ("M1", "route.replanned"))
    for _ in range(200):
        if receiver.seen:
            break
        time.sleep(0.05)
    assert [item.status for item in receiver.seen] == [200] and receiver.seen[0].signature_ok
