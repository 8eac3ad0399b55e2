"""Webhook subscriptions and their delivery log (DESIGN §9)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal, get_args

from pydantic import BaseModel, Field, StringConstraints

from shared.schemas.base import Strict
from shared.schemas.pages import Page

EventType = Literal["upload.committed", "training.succeeded", "training.failed", "model.activated", "drift.detected"]
EVENT_TYPES: tuple[str, ...] = get_args(EventType)
# The shape JSON Schema can state: http(s), a host, no user info, no spaces or control characters.
# What it cannot (https only and public addresses outside local development, a valid port) the
# service checks, answering 422 "cannot deliver to this URL: ..." on `url`.
URL_PATTERN = r"^https?://[^\s/?#@\x00-\x1f\x7f]+(?:[/?#][^\s\x00-\x1f\x7f]*)?$"
Url = Annotated[str, StringConstraints(pattern=URL_PATTERN, max_length=2048)]


class WebhookCreate(Strict):
    url: Url = Field(description="https, resolving to public addresses (http and private ones only where "
                                 "WEBHOOKS_ALLOW_PRIVATE=true, as in local development).")
    events: list[EventType] = Field(min_length=1, max_length=len(EVENT_TYPES), description="The events to receive.")


class WebhookInfo(BaseModel):
    id: uuid.UUID
    url: str
    events: list[EventType]
    created_at: datetime


class WebhookCreated(WebhookInfo):
    secret: str = Field(description="Shown once: the key of the CreditGate-Signature HMAC.")


class WebhookList(BaseModel):
    items: list[WebhookInfo]


class DeliveryAttempt(BaseModel):
    """Read from a `WebhookAttempt` row by attribute."""

    event_id: uuid.UUID
    event_type: EventType
    attempt: int = Field(description="1 for the first POST of this event to this webhook.")
    status_code: int | None = Field(description="The receiver's HTTP status; null when none came back.")
    latency_ms: int
    error: str | None = Field(description="Why the attempt failed: the status, a timeout, a refused address...")
    outcome: Literal["delivered", "retrying", "failed"] = Field(
        description="`failed`: retried for 24 hours without success, no further attempt."
    )
    created_at: datetime = Field(description="When the attempt was made.")


class DeliveryAttemptList(Page[DeliveryAttempt]):
    pass
