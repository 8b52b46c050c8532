"""Webhook subscriptions: receivers of outbox events, managed by architects."""

import secrets
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Response, status
from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, StringConstraints

from api.auth import ArchitectDep
from api.deps import SessionDep
from twin import access

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])

EventType = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class WebhookIn(BaseModel):
    """A receiver to register: where to POST, which event types (`*` for all), and optionally its secret."""

    url: AnyHttpUrl
    event_types: list[EventType] = Field(min_length=1, max_length=50)
    secret: str | None = Field(None, min_length=16, max_length=256,
                               description="HMAC key for the signature; generated when absent.")


class WebhookOut(BaseModel):
    """A registered receiver (its secret is never shown again)."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    url: str
    event_types: list[str]
    created_by: str
    created_at: datetime


class WebhookCreated(WebhookOut):
    """A receiver just registered, with the generated secret shown this once (null when you sent one)."""

    secret: str | None = None


@router.post("", status_code=status.HTTP_201_CREATED, response_model=WebhookCreated)
def create_webhook(webhook: WebhookIn, session: SessionDep, principal: ArchitectDep) -> WebhookCreated:
    """Register a receiver; every delivery is signed with `X-Yardmaster-Signature: sha256=<HMAC of the body>`."""
    generated = None if webhook.secret else secrets.token_urlsafe(32)
    subscription = access.add_subscription(session, str(webhook.url), list(dict.fromkeys(webhook.event_types)),
                                           webhook.secret or generated, principal.name)
    return WebhookCreated(secret=generated, **WebhookOut.model_validate(subscription).model_dump())


@router.get("", response_model=list[WebhookOut])
def list_webhooks(session: SessionDep, _principal: ArchitectDep) -> list[WebhookOut]:
    """The registered receivers, oldest first."""
    return [WebhookOut.model_validate(subscription) for subscription in access.active_subscriptions(session)]


@router.delete("/{webhook_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_webhook(webhook_id: str, session: SessionDep, principal: ArchitectDep) -> Response:
    """Remove a receiver; its pending deliveries stop."""
    if not access.remove_subscription(session, webhook_id, principal.name):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no webhook with id {webhook_id!r}")
    return Response(status_code=status.HTTP_204_NO_CONTENT)
