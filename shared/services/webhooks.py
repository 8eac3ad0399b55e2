"""Webhooks (DESIGN §9): register, list, delete, read the delivery log, and emit events.

`emit` runs inside the transaction of the change it announces, so an event is queued for
delivery exactly when the change is written; `services.webhook_delivery` sends it later. The
signing secret must be recovered to sign, so it is stored encrypted (Fernet) under a key derived
from DOCUMENT_HASH_KEY, never hashed; it is answered once, at registration, and never logged.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import uuid
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from pydantic_core import to_jsonable_python
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from shared.adapters.webhook_http import Refused, target
from shared.config import Settings
from shared.db import transaction
from shared.db.models import TrainingJob, Webhook, WebhookAttempt, WebhookDelivery
from shared.db.types import utcnow
from shared.errors import Conflict, FieldError, InvalidInput, NotFound
from shared.schemas.pages import PageQuery
from shared.schemas.webhooks import (
    EVENT_TYPES,
    DeliveryAttempt,
    DeliveryAttemptList,
    WebhookCreate,
    WebhookCreated,
    WebhookInfo,
    WebhookList,
)
from shared.security import Principal
from shared.services.pages import newest_first

MAX_WEBHOOKS = 20  # per company: each event is queued once per webhook
REFUSED_URL = "cannot deliver to this URL: "


def register(settings: Settings, principal: Principal, request: WebhookCreate) -> WebhookCreated:
    try:
        target(request.url, allow_private=settings.allow_private_webhooks)
    except Refused as exc:
        refused = FieldError(("url",), f"{REFUSED_URL}{exc}")
        raise InvalidInput("The webhook URL is refused.", errors=[refused]) from None
    secret = "whsec_" + secrets.token_urlsafe(32)
    events = [event for event in EVENT_TYPES if event in request.events]  # once each, in a fixed order
    with transaction() as session:
        if session.scalar(select(func.count()).select_from(Webhook).where(*_live(principal))) >= MAX_WEBHOOKS:
            raise Conflict(f"A company has at most {MAX_WEBHOOKS} webhooks; delete one first.")
        row = Webhook(
            tenant_id=principal.tenant_id, url=request.url, events=events, secret_encrypted=_encrypt(settings, secret)
        )
        session.add(row)
        session.flush()
        return WebhookCreated(**_info(row).model_dump(), secret=secret)


def list_webhooks(principal: Principal) -> WebhookList:
    with transaction() as session:
        oldest_first = select(Webhook).where(*_live(principal)).order_by(Webhook.created_at, Webhook.id)
        rows = session.scalars(oldest_first).all()
        return WebhookList(items=[_info(row) for row in rows])


def delete(principal: Principal, webhook_id: uuid.UUID) -> None:
    """The webhook receives nothing more: what was queued for it is cancelled with it."""
    with transaction() as session:
        row = _find(session, principal, webhook_id)
        row.deleted_at = utcnow()
        session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.webhook_id == row.id, WebhookDelivery.status == "pending")
            .values(status="cancelled")
        )


def list_deliveries(principal: Principal, webhook_id: uuid.UUID, page: PageQuery) -> DeliveryAttemptList:
    with transaction() as session:
        _find(session, principal, webhook_id)
        rows, cursor = newest_first(
            session, WebhookAttempt, principal.tenant_id, page, WebhookAttempt.webhook_id == webhook_id
        )
        items = [DeliveryAttempt.model_validate(row, from_attributes=True) for row in rows]
        return DeliveryAttemptList(items=items, next_cursor=cursor)


def emit(session: Session, tenant_id: uuid.UUID, type: str, data: dict[str, Any]) -> None:
    """Queue event `type` for each of the company's webhooks that asked for it, in `session`'s
    transaction. `data` may hold UUIDs and datetimes; they are sent as JSON strings."""
    if type not in EVENT_TYPES:
        raise ValueError(f"not a webhook event type: {type}")
    subscribed = [
        webhook_id
        for webhook_id, events in session.execute(
            select(Webhook.id, Webhook.events).where(Webhook.tenant_id == tenant_id, Webhook.deleted_at.is_(None))
        )
        if type in events
    ]
    if not subscribed:
        return
    event_id, now = uuid.uuid4(), utcnow()
    event = {"id": str(event_id), "type": type, "created_at": now.isoformat(), "data": to_jsonable_python(data)}
    session.add_all(
        WebhookDelivery(
            tenant_id=tenant_id, webhook_id=webhook_id, event_id=event_id, event_type=type, event=event,
            next_attempt_at=now, created_at=now,
        )
        for webhook_id in subscribed
    )


def job_ended(session: Session, job: TrainingJob) -> None:
    """`training.succeeded` or `training.failed` for a job that has just ended so."""
    if job.status == "succeeded":
        emit(session, job.tenant_id, "training.succeeded", {"job_id": job.id, "model_version": job.model_version})
    elif job.status == "failed":
        emit(session, job.tenant_id, "training.failed", {"job_id": job.id, "error": job.error})


def model_activated(session: Session, tenant_id: uuid.UUID, version: int, *, by: str) -> None:
    """`by`: "training" (champion/challenger) or "activation" (POST /models/{version}/activate)."""
    emit(session, tenant_id, "model.activated", {"model_version": version, "by": by})


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The CreditGate-Signature header: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def reveal(settings: Settings, secret_encrypted: str) -> str:
    """The signing secret; `cryptography.fernet.InvalidToken` if the key it was stored under changed."""
    return _fernet(settings).decrypt(secret_encrypted.encode()).decode()


def _encrypt(settings: Settings, secret: str) -> str:
    return _fernet(settings).encrypt(secret.encode()).decode()


@lru_cache(maxsize=4)
def _fernet(settings: Settings) -> Fernet:
    # A key of its own, derived from an existing secret: no new setting to provision, and the
    # HKDF label keeps it unrelated to the document hashes made with the same secret.
    key = HKDF(hashes.SHA256(), length=32, salt=None, info=b"creditgate webhook secrets").derive(
        settings.secret("document_hash_key")
    )
    return Fernet(base64.urlsafe_b64encode(key))


def _live(principal: Principal) -> tuple:
    return Webhook.tenant_id == principal.tenant_id, Webhook.deleted_at.is_(None)


def _find(session: Session, principal: Principal, webhook_id: uuid.UUID) -> Webhook:
    row = session.scalars(select(Webhook).where(Webhook.id == webhook_id, *_live(principal))).one_or_none()
    if row is None:
        raise NotFound("No such webhook.")
    return row


def _info(row: Webhook) -> WebhookInfo:
    return WebhookInfo(id=row.id, url=row.url, events=row.events, created_at=row.created_at)
