"""Webhook delivery: signed POSTs of outbox messages to subscribers, retried with exponential backoff.

At least once: a receiver may see a delivery again and dedupes on `X-Yardmaster-Delivery`.
"""

import hashlib
import hmac
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import httpx
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import Engine
from sqlmodel import Session

from api.jobs import every
from twin import access
from twin.access import WebhookDelivery, WebhookSubscription
from twin.db import session_scope
from twin.models import OutboxMessage

logger = logging.getLogger(__name__)


class WebhookSettings(BaseSettings):
    """Delivery loop and retry policy; every field can be set as `YM_WEBHOOK_<NAME>`."""

    model_config = SettingsConfigDict(env_prefix="YM_WEBHOOK_", env_file=".env", extra="ignore")

    interval_s: float = Field(2.0, description="Seconds between delivery rounds in the API process; 0 turns it off.")
    timeout_s: float = Field(10.0, gt=0, description="Timeout of one POST to a subscriber.")
    backoff_s: float = Field(2.0, gt=0, description="Wait before the first retry; it doubles with every failure.")
    max_backoff_s: float = Field(3600.0, gt=0, description="Longest wait between two attempts.")
    max_attempts: int = Field(15, ge=1, description="Attempts before a delivery is given up (kept with its last error).")
    batch: int = Field(100, ge=1, description="Deliveries attempted per round at most.")


def signature(secret: str, body: bytes) -> str:
    """The `X-Yardmaster-Signature` value: `sha256=` and the hex HMAC-SHA256 of the raw body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def body(delivery: WebhookDelivery, message: OutboxMessage) -> bytes:
    """The JSON body of a delivery, byte-identical on every retry."""
    envelope = {"delivery_id": delivery.id, "message_id": message.id, "event_type": message.event_type,
                "decision_id": message.decision_id, "created_at": message.created_at.isoformat(),
                "payload": message.payload}
    return json.dumps(envelope, sort_keys=True, separators=(",", ":"), default=str).encode()


def backoff(attempts: int, settings: WebhookSettings) -> timedelta:
    """The wait after the given number of failed attempts."""
    return timedelta(seconds=min(settings.backoff_s * 2 ** (attempts - 1), settings.max_backoff_s))


def _post(client: httpx.Client, delivery: WebhookDelivery, subscription: WebhookSubscription,
          message: OutboxMessage) -> str | None:
    """POST one delivery; None on a 2xx answer, else what went wrong."""
    content = body(delivery, message)
    headers = {"Content-Type": "application/json", "User-Agent": "Yardmaster-Webhooks",
               "X-Yardmaster-Event": message.event_type, "X-Yardmaster-Delivery": delivery.id,
               "X-Yardmaster-Signature": signature(subscription.secret, content)}
    try:
        response = client.post(subscription.url, content=content, headers=headers)
    except httpx.HTTPError as error:
        return f"{type(error).__name__}: {error}"[:500]
    return None if response.is_success else f"HTTP {response.status_code}"


def deliver_due(session: Session, now: datetime, client: httpx.Client,
                settings: WebhookSettings | None = None) -> int:
    """Fan new outbox messages out to subscribers, attempt every due delivery, commit each; how many succeeded."""
    settings = settings or WebhookSettings()
    access.fan_out(session, now)
    session.commit()
    delivered = 0
    for delivery, subscription, message in access.due_deliveries(session, now, settings.batch):
        error = _post(client, delivery, subscription, message)
        delivery.attempts += 1
        delivery.last_error = error
        if error is None:
            delivery.delivered_at, delivery.next_attempt_at = now, None
            delivered += 1
        else:
            retry = delivery.attempts < settings.max_attempts
            delivery.next_attempt_at = now + backoff(delivery.attempts, settings) if retry else None
        session.add(delivery)
        session.commit()
    return delivered


def deliver_round(engine: Engine, client: httpx.Client, settings: WebhookSettings) -> int:
    """One delivery round at the current time, in its own session."""
    with session_scope(engine) as session:
        return deliver_due(session, datetime.now(UTC), client, settings)


@asynccontextmanager
async def delivery_loop(engine: Engine) -> AsyncIterator[None]:
    """Deliver webhooks in the background while the context is open (off when the interval is 0)."""
    settings = WebhookSettings()
    with httpx.Client(timeout=settings.timeout_s) as client:
        async with every(settings.interval_s, lambda: deliver_round(engine, client, settings), "webhook delivery round"):
            yield
