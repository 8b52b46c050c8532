"""Webhook delivery: signed POSTs of outbox messages to subscribers, retried with exponential backoff.

At least once: a receiver may see a delivery again and dedupes on `X-Yardmaster-Delivery`; it refuses a
delivery whose `X-Yardmaster-Timestamp` (signed with the body) is too old, so a captured one cannot be replayed.
Secrets are stored encrypted; targets on loopback, link-local or private addresses are refused unless allowed.
"""

import hashlib
import hmac
import ipaddress
import json
import logging
import os
import secrets
import socket
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from cryptography.fernet import Fernet, InvalidToken
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import delete, text, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from twin import access, store
from twin.access import WebhookBreaker, WebhookDelivery, WebhookLease, WebhookSubscription
from twin.db import conflict_insert, session_scope
from twin.models import OutboxMessage
from twin.threads import run_in_background
from worker.jobs import every

logger = logging.getLogger(__name__)


class WebhookSettings(BaseSettings):
    """Delivery loop and retry policy; every field can be set as `YM_WEBHOOK_<NAME>`."""

    model_config = SettingsConfigDict(env_prefix="YM_WEBHOOK_", env_file=".env", extra="ignore")

    interval_s: float = Field(
        default=2.0, description="Seconds between delivery rounds in the API process; 0 turns it off."
    )
    timeout_s: float = Field(default=10.0, gt=0, description="Timeout of one POST to a subscriber.")
    backoff_s: float = Field(
        default=2.0, gt=0, description="Wait before the first retry; it doubles with every failure."
    )
    max_backoff_s: float = Field(default=3600.0, gt=0, description="Longest wait between two attempts.")
    max_attempts: int = Field(
        default=15, ge=1, description="Attempts before a delivery is given up (kept with its last error)."
    )
    batch: int = Field(default=100, ge=1, description="Deliveries attempted per round at most.")
    concurrency: int = Field(
        default=8, ge=1, le=64, description="Subscribers delivered to at once, each on its own thread."
    )
    allow_private: bool = Field(default=False, description="Accept loopback, link-local and private targets.")
    secret_key: str | None = Field(
        default=None,
        description="Fernet key encrypting secrets at rest; default: a key file "
        "`webhook.key` in the data directory, created on first use.",
    )


class SecretBox:
    """Encrypts webhook secrets for storage and decrypts them to sign (Fernet: AES-128-CBC and HMAC-SHA256)."""

    PREFIX = "fernet:"

    def __init__(self, key: str | bytes) -> None:
        self.fernet = Fernet(key)

    @classmethod
    def open(cls, settings: WebhookSettings, data_dir: Path) -> "SecretBox":
        """The box of the configured key, else of the data directory's key file (created owner-only)."""
        if settings.secret_key:
            return cls(settings.secret_key)
        path = data_dir / "webhook.key"
        if not path.exists():
            data_dir.mkdir(parents=True, exist_ok=True)
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "wb") as file:
                file.write(Fernet.generate_key())
        return cls(path.read_bytes().strip())

    def seal(self, secret: str) -> str:
        """The stored form of a secret."""
        return self.PREFIX + self.fernet.encrypt(secret.encode()).decode()

    def unseal(self, stored: str) -> str:
        """The secret of a stored form (a row stored before encryption is returned as it is)."""
        if not stored.startswith(self.PREFIX):
            return stored
        try:
            return self.fernet.decrypt(stored.removeprefix(self.PREFIX)).decode()
        except InvalidToken as error:
            raise ValueError("webhook secret was sealed with another key (check YM_WEBHOOK_SECRET_KEY)") from error


def seal_stored(session: Session, box: SecretBox) -> int:
    """Encrypt the secrets stored in plain text by earlier versions; how many were sealed."""
    rows = [row for row in session.exec(select(WebhookSubscription)).all() if not row.secret.startswith(box.PREFIX)]
    for row in rows:
        row.secret = box.seal(row.secret)
        session.add(row)
    return len(rows)


def target_problem(url: str, allow_private: bool) -> str | None:
    """Why a URL may not receive webhooks (credentials in it, or a loopback, link-local or private host), or None."""
    parts = urlsplit(url)
    if parts.username is not None or parts.password is not None:
        return "the URL must not contain credentials; authenticate the receiver by the signature"
    if allow_private:
        return None
    host = (parts.hostname or "").rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return f"{host} is a loopback host"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None
    if not address.is_global:
        return f"{address} is a loopback, link-local or private address"
    return None


def resolved_problem(url: str, allow_private: bool) -> str | None:
    """Why the resolved host of a URL may not be called now (a name may point at a private address), or None."""
    host = urlsplit(url).hostname or ""
    if allow_private:
        return None
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except OSError:
        return None  # the POST reports the resolution failure itself
    private = [info[4][0] for info in infos if not ipaddress.ip_address(str(info[4][0]).split("%")[0]).is_global]
    return f"refused: {host} resolves to a non-public address {private[0]}" if private else None


def redacted(url: str) -> str:
    """The URL without any user name or password in it."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    return parts._replace(netloc=parts.netloc.rpartition("@")[2]).geturl()


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The `X-Yardmaster-Signature` value: `sha256=` and the hex HMAC-SHA256 of `<timestamp>.<raw body>`."""
    return "sha256=" + hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def body(delivery: WebhookDelivery, message: OutboxMessage) -> bytes:
    """The JSON body of a delivery, byte-identical on every retry."""
    envelope = {
        "delivery_id": delivery.id,
        "message_id": message.id,
        "event_type": message.event_type,
        "decision_id": message.decision_id,
        "created_at": message.created_at.isoformat(),
        "payload": message.payload,
    }
    return json.dumps(envelope, sort_keys=True, separators=(",", ":"), default=str).encode()


def backoff(attempts: int, settings: WebhookSettings) -> timedelta:
    """The wait after the given number of failed attempts."""
    return timedelta(seconds=min(settings.backoff_s * 2 ** (attempts - 1), settings.max_backoff_s))


def _post(
    client: httpx.Client,
    delivery: WebhookDelivery,
    subscription: WebhookSubscription,
    message: OutboxMessage,
    secret: str,
    allow_private: bool,
) -> str | None:
    """POST one delivery, signed with the subscription's secret; None on a 2xx answer, else what went wrong."""
    if refused := resolved_problem(subscription.url, allow_private):
        return refused
    content = body(delivery, message)
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Yardmaster-Webhooks",
        "X-Yardmaster-Event": message.event_type,
        "X-Yardmaster-Delivery": delivery.id,
        "X-Yardmaster-Timestamp": str(timestamp),
        "X-Yardmaster-Signature": signature(secret, timestamp, content),
    }
    try:
        response = client.post(subscription.url, content=content, headers=headers)
    except httpx.HTTPError as error:
        return f"{type(error).__name__}: {error}"[:500]
    return None if response.is_success else f"HTTP {response.status_code}"


class Breakers:
    """Every subscriber's circuit, in the database so that every delivering process honours it: after a failed
    delivery the subscriber's other deliveries wait too, for a backoff that doubles with each failure in a row; the
    first success closes it."""

    def __init__(self, engine: Engine, settings: WebhookSettings) -> None:
        self.engine, self.settings = engine, settings

    def held(self, subscription_ids: Iterable[str], now: datetime) -> set[str]:
        """The subscribers among these whose circuit is open now (half-open once its wait is over)."""
        ids = list(subscription_ids)
        if not ids:
            return set()
        with session_scope(self.engine) as session:
            return set(
                session.exec(
                    select(WebhookBreaker.subscription_id).where(
                        col(WebhookBreaker.subscription_id).in_(ids), col(WebhookBreaker.open_until) > now
                    )
                ).all()
            )

    def record(self, subscription_id: str, ok: bool, now: datetime) -> None:
        """Close on a success; on a failure, count it (atomically, whichever process saw it) and open for the
        subscriber's backoff."""
        with self.engine.begin() as connection:
            if ok:
                connection.execute(
                    text("DELETE FROM webhookbreaker WHERE subscription_id = :id"), {"id": subscription_id}
                )
                return
            failures = connection.execute(
                text(
                    "INSERT INTO webhookbreaker (subscription_id, failures) VALUES (:id, 1) "
                    "ON CONFLICT (subscription_id) DO UPDATE SET failures = webhookbreaker.failures + 1 "
                    "RETURNING failures"
                ),
                {"id": subscription_id},
            ).scalar_one()
            connection.execute(
                update(WebhookBreaker)
                .where(col(WebhookBreaker.subscription_id) == subscription_id)
                .values(open_until=now + backoff(failures, self.settings))
            )


class Leases:
    """Which process delivers to each subscriber, in the database: a process posts to a subscriber only while it
    holds its lease, renewed before each delivery and released when it is done; a process that dies leaves a lease
    that runs out, so another takes over."""

    def __init__(self, engine: Engine, settings: WebhookSettings) -> None:
        self.engine = engine
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
        self.length = timedelta(seconds=4 * settings.timeout_s + 5)  # a POST's connect, write, read and pool waits

    def claim(self, subscription_id: str, now: datetime) -> bool:
        """Take the subscriber's lease if it is free or has run out; whether this process now holds it."""
        statement = conflict_insert(self.engine, WebhookLease).values(
            subscription_id=subscription_id, holder=self.holder, leased_until=now + self.length
        )
        statement = statement.on_conflict_do_update(
            index_elements=["subscription_id"],
            set_={"holder": statement.excluded.holder, "leased_until": statement.excluded.leased_until},
            where=col(WebhookLease.leased_until) <= now,
        ).returning(col(WebhookLease.holder))
        with self.engine.begin() as connection:
            return connection.execute(statement).scalar_one_or_none() == self.holder

    def renew(self, subscription_id: str, now: datetime) -> bool:
        """Extend a held lease before the next delivery; False when another process took it over meanwhile."""
        with self.engine.begin() as connection:
            renewed = connection.execute(
                update(WebhookLease)
                .where(col(WebhookLease.subscription_id) == subscription_id, col(WebhookLease.holder) == self.holder)
                .values(leased_until=now + self.length)
            )
            return renewed.rowcount == 1

    def release(self, subscription_id: str) -> None:
        """Give the subscriber back to every process."""
        with self.engine.begin() as connection:
            connection.execute(
                delete(WebhookLease).where(
                    col(WebhookLease.subscription_id) == subscription_id, col(WebhookLease.holder) == self.holder
                )
            )


class Dispatcher:
    """Delivers each subscriber's due deliveries, in order, on a thread of its own: a slow or failing receiver
    delays only itself (its own backoff and circuit breaker), never the others; a subscriber's lease keeps every
    other process (and this one's next rounds) off it meanwhile."""

    def __init__(self, engine: Engine, client: httpx.Client, settings: WebhookSettings, box: SecretBox) -> None:
        self.engine, self.client, self.settings, self.box = engine, client, settings, box
        self.pool = ThreadPoolExecutor(
            settings.concurrency, thread_name_prefix="webhook", initializer=run_in_background
        )
        self.breakers = Breakers(engine, settings)
        self.leases = Leases(engine, settings)

    def round(self, now: datetime) -> list[Future[int]]:
        """Fan new outbox messages out, then start every subscriber with due deliveries that is neither still busy
        nor held by its breaker; the started subscribers' futures (each: how many it delivered)."""
        with session_scope(self.engine) as session:
            access.fan_out(session, now)
            session.commit()
            due = access.due_deliveries(session, now, self.settings.batch)
        queues: dict[str, list] = defaultdict(list)
        for delivery, subscription, message in due:
            queues[subscription.id].append((delivery, subscription, message))
        held = self.breakers.held(queues, now)
        return [
            self.pool.submit(self._deliver_all, subscription_id, items, now)
            for subscription_id, items in queues.items()
            if subscription_id not in held and self.leases.claim(subscription_id, now)
        ]

    def _deliver_all(self, subscription_id: str, items: list, now: datetime) -> int:
        """One subscriber's due deliveries in order, each still due when its turn comes (another process may have
        delivered it since it was read), stopping at its first failure or if the lease was lost."""
        delivered = 0
        try:
            for delivery, subscription, message in items:
                if not (self._still_due(delivery.id, now) and self.leases.renew(subscription_id, now)):
                    break
                secret = self.box.unseal(subscription.secret)
                error = _post(self.client, delivery, subscription, message, secret, self.settings.allow_private)
                self._record(delivery.id, error, now)
                self.breakers.record(subscription_id, error is None, now)
                if error is not None:
                    break
                delivered += 1
        finally:
            self.leases.release(subscription_id)
        return delivered

    def _still_due(self, delivery_id: str, now: datetime) -> bool:
        """Whether a delivery is still undelivered and due now."""
        with session_scope(self.engine) as session:
            delivery = session.get(WebhookDelivery, delivery_id)
            return (
                delivery is not None
                and delivery.delivered_at is None
                and delivery.next_attempt_at is not None
                and delivery.next_attempt_at <= now
            )

    def _record(self, delivery_id: str, error: str | None, now: datetime) -> None:
        """Store an attempt's outcome: delivered, due again after the backoff, or given up."""
        with session_scope(self.engine) as session:
            delivery = store.row(session, WebhookDelivery, delivery_id)
            delivery.attempts += 1
            delivery.last_error = error
            if error is None:
                delivery.delivered_at, delivery.next_attempt_at = now, None
            else:
                retry = delivery.attempts < self.settings.max_attempts
                delivery.next_attempt_at = now + backoff(delivery.attempts, self.settings) if retry else None
            session.add(delivery)
            session.commit()

    def close(self) -> None:
        """Let the deliveries in flight finish."""
        self.pool.shutdown(wait=True)


@asynccontextmanager
async def delivery_loop(engine: Engine, settings: WebhookSettings, box: SecretBox) -> AsyncIterator[None]:
    """Deliver webhooks in the background while the context is open (off when the interval is 0)."""
    with httpx.Client(timeout=settings.timeout_s, follow_redirects=False) as client:
        dispatcher = Dispatcher(engine, client, settings, box)
        try:
            async with every(
                settings.interval_s, lambda: dispatcher.round(datetime.now(UTC)), "webhook delivery round"
            ):
                yield
        finally:
            dispatcher.close()
