"""Who may call the API and who hears about it: hashed API keys with roles, webhook subscriptions and deliveries.

Every command takes the acting key's name and leaves an `AuditEvent`.
"""

import hashlib
import hmac
import secrets
import uuid
from datetime import UTC, datetime
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict
from sqlalchemy import JSON, Column
from sqlmodel import Field, Session, SQLModel, col, select

from twin.models import AuditEvent, OutboxMessage
from twin.roles import DECIDERS as DECIDERS  # re-exported for the API and chat
from twin.roles import REPORTERS as REPORTERS  # re-exported for the API and chat
from twin.roles import ROLES, Role

SEES_WEBHOOK_URLS: tuple[Role, ...] = ("architect", "admin")  # a URL's path and query may be its secret

KEY_PREFIX = "ym"
DELIVERY_NAMESPACE = uuid.UUID("5f0c7a8e-2d4b-5e61-9a3f-8c1d2e3f4a5b")


class ApiKey(SQLModel, table=True):
    """An API key: its visible id, owner name, role and the SHA-256 of the full key (never the key)."""

    id: str = Field(primary_key=True)
    name: str = Field(index=True)
    role: str
    key_hash: str
    created_by: str
    created_at: datetime
    revoked_at: datetime | None = None


class WebhookSubscription(SQLModel, table=True):
    """A receiver of outbox events of some types (`*` for all), signed with its secret."""

    id: str = Field(primary_key=True)
    url: str
    event_types: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    secret: str
    created_by: str
    created_at: datetime
    deleted_at: datetime | None = Field(default=None, index=True)


class WebhookDelivery(SQLModel, table=True):
    """One outbox message on its way to one subscriber; the id is stable across retries."""

    id: str = Field(primary_key=True)
    message_id: str = Field(foreign_key="outboxmessage.id", index=True)
    subscription_id: str = Field(foreign_key="webhooksubscription.id", index=True)
    attempts: int = 0
    next_attempt_at: datetime | None = Field(default=None, index=True)
    last_error: str | None = None
    delivered_at: datetime | None = None
    created_at: datetime


class WebhookBreaker(SQLModel, table=True):
    """A subscriber's circuit breaker, shared by every delivering process: failures in a row, and until when its
    deliveries wait (none: closed)."""

    subscription_id: str = Field(primary_key=True, foreign_key="webhooksubscription.id")
    failures: int = 0
    open_until: datetime | None = None


class WebhookLease(SQLModel, table=True):
    """Which delivering process holds a subscriber's deliveries, and until when: one process at a time posts to a
    subscriber, so its deliveries go once and in order however many processes deliver."""

    subscription_id: str = Field(primary_key=True, foreign_key="webhooksubscription.id")
    holder: str
    leased_until: datetime


class KeyInfo(BaseModel):
    """An API key as it may be shown: everything but its hash."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    role: Role
    created_by: str
    created_at: datetime
    revoked_at: datetime | None


class IssuedKey(KeyInfo):
    """A key just created, with the plain key shown this once."""

    key: str


def audit(session: Session, actor: str, kind: str, **detail: object) -> None:
    """Record who did what."""
    session.add(AuditEvent(at=datetime.now(UTC), actor=actor, kind=kind, detail=detail))


def _digest(key: str) -> str:
    """The stored form of a key."""
    return hashlib.sha256(key.encode()).hexdigest()


def create_key(session: Session, role: Role, name: str | None = None, actor: str = "cli") -> IssuedKey:
    """Issue a key `ym_<8 hex id>_<secret>` for a role; only its hash is stored."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; choose one of {', '.join(ROLES)}")
    key_id = secrets.token_hex(4)
    key = f"{KEY_PREFIX}_{key_id}_{secrets.token_urlsafe(32)}"
    record = ApiKey(
        id=key_id,
        name=name or f"{role}-{key_id}",
        role=role,
        key_hash=_digest(key),
        created_by=actor,
        created_at=datetime.now(UTC),
    )
    session.add(record)
    audit(session, actor, "api_key_created", key_id=key_id, name=record.name, role=role)
    session.flush()
    return IssuedKey(key=key, **KeyInfo.model_validate(record).model_dump())


def authenticate(session: Session, key: str) -> ApiKey | None:
    """The live key record matching a presented key (compared in constant time), or None."""
    prefix, _, rest = key.partition("_")
    key_id, _, secret = rest.partition("_")
    if prefix != KEY_PREFIX or not secret:
        return None
    record = session.get(ApiKey, key_id)
    if record is None or record.revoked_at is not None:
        return None
    return record if hmac.compare_digest(record.key_hash, _digest(key)) else None


def list_keys(session: Session) -> list[KeyInfo]:
    """Every key, revoked ones included, oldest first."""
    records = session.exec(select(ApiKey).order_by(col(ApiKey.created_at), col(ApiKey.id))).all()
    return [KeyInfo.model_validate(record) for record in records]


def revoke_key(session: Session, key_id: str, actor: str = "cli") -> KeyInfo:
    """Revoke a key (revoking twice keeps the first time); LookupError when there is no such key."""
    record = session.get(ApiKey, key_id)
    if record is None:
        raise LookupError(f"no API key with id {key_id!r}")
    if record.revoked_at is None:
        record.revoked_at = datetime.now(UTC)
        session.add(record)
        audit(session, actor, "api_key_revoked", key_id=key_id, name=record.name)
    session.flush()
    return KeyInfo.model_validate(record)


def url_origin(url: str) -> str:
    """A webhook URL cut to its scheme, host and port: its credentials, path and query (often a secret token, as in
    Slack-style URLs) are redacted."""
    parts = urlsplit(url)
    hidden = parts.path not in ("", "/") or parts.query or parts.fragment
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}/{'[redacted]' if hidden else ''}"


def add_subscription(
    session: Session, url: str, event_types: list[str], secret: str, actor: str
) -> WebhookSubscription:
    """Register a webhook receiver for some event types."""
    subscription = WebhookSubscription(
        id=f"wh_{secrets.token_hex(8)}",
        url=url,
        event_types=event_types,
        secret=secret,
        created_by=actor,
        created_at=datetime.now(UTC),
    )
    session.add(subscription)
    audit(
        session,
        actor,
        "webhook_created",
        subscription_id=subscription.id,
        url=url_origin(url),
        event_types=event_types,
    )
    session.flush()
    return subscription


def active_subscriptions(session: Session) -> list[WebhookSubscription]:
    """The subscriptions not deleted, oldest first."""
    query = select(WebhookSubscription).where(col(WebhookSubscription.deleted_at).is_(None))
    return list(session.exec(query.order_by(col(WebhookSubscription.created_at), col(WebhookSubscription.id))).all())


def remove_subscription(session: Session, subscription_id: str, actor: str) -> bool:
    """Delete a subscription (its pending deliveries stop); False when there is no such live one."""
    subscription = session.get(WebhookSubscription, subscription_id)
    if subscription is None or subscription.deleted_at is not None:
        return False
    subscription.deleted_at = datetime.now(UTC)
    session.add(subscription)
    audit(session, actor, "webhook_deleted", subscription_id=subscription_id, url=url_origin(subscription.url))
    session.flush()
    return True


def subscribed(subscription: WebhookSubscription, message: OutboxMessage) -> bool:
    """Whether a subscription wants a message's event type."""
    return "*" in subscription.event_types or message.event_type in subscription.event_types


def delivery_id(message_id: str, subscription_id: str) -> str:
    """The stable id of one message's delivery to one subscriber, for the receiver's dedupe."""
    return f"dlv_{uuid.uuid5(DELIVERY_NAMESPACE, f'{message_id}/{subscription_id}').hex}"


def fan_out(session: Session, now: datetime, limit: int = 500) -> int:
    """Hand undelivered outbox messages to one delivery per matching subscriber and mark them delivered."""
    query = select(OutboxMessage).where(col(OutboxMessage.delivered_at).is_(None))
    messages = session.exec(query.order_by(col(OutboxMessage.created_at), col(OutboxMessage.id)).limit(limit)).all()
    subscriptions = active_subscriptions(session) if messages else []
    created = 0
    for message in messages:
        for subscription in subscriptions:
            key = delivery_id(message.id, subscription.id)
            if subscribed(subscription, message) and session.get(WebhookDelivery, key) is None:
                session.add(
                    WebhookDelivery(
                        id=key,
                        message_id=message.id,
                        subscription_id=subscription.id,
                        next_attempt_at=now,
                        created_at=now,
                    )
                )
                created += 1
        message.delivered_at = now
        session.add(message)
    session.flush()
    return created


def due_deliveries(
    session: Session, now: datetime, limit: int = 100
) -> list[tuple[WebhookDelivery, WebhookSubscription, OutboxMessage]]:
    """Deliveries to live subscribers whose next attempt is due, earliest first."""
    query = (
        select(WebhookDelivery, WebhookSubscription, OutboxMessage)
        .join(WebhookSubscription, col(WebhookSubscription.id) == col(WebhookDelivery.subscription_id))
        .join(OutboxMessage, col(OutboxMessage.id) == col(WebhookDelivery.message_id))
        .where(
            col(WebhookDelivery.delivered_at).is_(None),
            col(WebhookDelivery.next_attempt_at) <= now,
            col(WebhookSubscription.deleted_at).is_(None),
        )
        .order_by(col(WebhookDelivery.next_attempt_at), col(WebhookDelivery.id))
        .limit(limit)
    )
    return [(delivery, subscription, message) for delivery, subscription, message in session.exec(query).all()]
