"""Webhook subscriptions: receivers of outbox events, managed by architects."""

import secrets
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Request, Response, status
from fastapi.exceptions import RequestValidationError
from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, StringConstraints, field_validator

from api.auth import ArchitectDep
from api.deps import SessionDep
from twin import access
from worker.webhooks import redacted, target_problem

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])

EventType = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class WebhookIn(BaseModel):
    """A receiver to register: where to POST, which event types (`*` for all), and optionally its secret."""

    url: AnyHttpUrl
    event_types: list[EventType] = Field(min_length=1, max_length=50)
    secret: str | None = Field(
        default=None, min_length=16, max_length=256, description="HMAC key for the signature; generated when absent."
    )


class WebhookOut(BaseModel):
    """A registered receiver (its secret is never shown again)."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    url: str
    event_types: list[str]
    created_by: str
    created_at: datetime

    @field_validator("url")
    @classmethod
    def _no_credentials(cls, url: str) -> str:
        """Never show a user name or password a stored URL may hold."""
        return redacted(url)


class WebhookCreated(WebhookOut):
    """A receiver just registered, with the generated secret shown this once (null when you sent one)."""

    secret: str | None = None


@router.post("", status_code=status.HTTP_201_CREATED, response_model=WebhookCreated)
def create_webhook(
    webhook: WebhookIn, request: Request, session: SessionDep, principal: ArchitectDep
) -> WebhookCreated:
    """Register a receiver; every delivery carries `X-Yardmaster-Timestamp: <unix seconds>` and
    `X-Yardmaster-Signature: sha256=<HMAC-SHA256 of "<timestamp>." followed by the raw body>`.

    URLs with credentials are refused, and so are loopback, link-local and private hosts unless
    `YM_WEBHOOK_ALLOW_PRIVATE` is set.
    """
    url = str(webhook.url)
    if problem := target_problem(url, request.app.state.webhook_settings.allow_private):
        raise RequestValidationError(
            [{"type": "value_error", "loc": ("body", "url"), "msg": problem, "input": redacted(url)}]
        )
    generated = None if webhook.secret else secrets.token_urlsafe(32)
    sealed = request.app.state.secret_box.seal(webhook.secret or generated)
    subscription = access.add_subscription(
        session, url, list(dict.fromkeys(webhook.event_types)), sealed, principal.name
    )
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
