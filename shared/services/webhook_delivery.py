"""Delivering queued webhook events (DESIGN §9), run by a timer.

Each (webhook, event) row is claimed by moving its `next_attempt_at` past the time its batch can
take, so two timers never send it at once; a process that dies mid-send leaves the row due again
when that claim runs out. Rows are sent in parallel and recorded one by one, so a slow or failing
receiver delays no other. A failed attempt is retried with exponential backoff and jitter until
the event is 24 hours old; every attempt is logged (`webhook_attempts`).
"""

from __future__ import annotations

import json
import logging
import random
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from cryptography.fernet import InvalidToken
from sqlalchemy import select, update

from shared.adapters import webhook_http
from shared.config import Settings
from shared.db import transaction
from shared.db.locking import locked
from shared.db.models import Webhook, WebhookAttempt, WebhookDelivery
from shared.db.retry import retry_on_conflict
from shared.db.types import utcnow
from shared.services import webhooks

log = logging.getLogger(__name__)
SENDERS = 8
BATCH = 4 * SENDERS  # claimed together, sent by SENDERS threads
TIMEOUT_SECONDS = 5.0  # each of connecting, sending and waiting for the answer
# A batch's rows are claimed at once, so the claim outlasts the whole batch: four rounds of
# attempts that each take all their timeouts, and DNS besides.
CLAIM = timedelta(minutes=5)
RETRY_WINDOW = timedelta(hours=24)
MAX_DELAY_SECONDS = 3600.0
USER_AGENT = "CreditGate-Webhooks/1"


@dataclass(frozen=True)
class _Claim:
    delivery_id: uuid.UUID
    attempt: int
    tenant_id: uuid.UUID
    webhook_id: uuid.UUID
    event_id: uuid.UUID
    event_type: str
    event: dict[str, Any]
    url: str
    secret_encrypted: str
    created_at: datetime


def deliver_due(settings: Settings) -> int:
    """Sends what is due now; answers how many attempts were made."""
    attempted = 0
    with ThreadPoolExecutor(SENDERS, thread_name_prefix="webhook") as senders:
        while claims := retry_on_conflict(_claim):
            list(senders.map(lambda claim: _deliver(settings, claim), claims))
            attempted += len(claims)
            if len(claims) < BATCH:
                break
    return attempted


def backoff(base_seconds: float, attempt: int) -> timedelta:
    """The wait after failed attempt `attempt` (1, 2, ...): doubling from `base_seconds`, at most an
    hour, times a jitter of 1 to 1.5 so receivers that failed together are not retried together.
    Below the cap each wait is longer than the one before, whatever the jitter."""
    return timedelta(seconds=min(base_seconds * 2 ** (attempt - 1), MAX_DELAY_SECONDS) * (1 + random.random() / 2))


def _claim() -> list[_Claim]:
    with transaction() as session:
        now = utcnow()
        due = (
            select(WebhookDelivery)
            .where(WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= now)
            .order_by(WebhookDelivery.next_attempt_at)
            .limit(BATCH)
        )
        rows = session.scalars(locked(due, WebhookDelivery, "skip_locked")).all()
        if not rows:
            return []
        owners = select(Webhook).where(Webhook.id.in_({row.webhook_id for row in rows}))
        hooks = {hook.id: hook for hook in session.scalars(owners)}
        claims = []
        for row in rows:
            row.attempts, row.next_attempt_at = row.attempts + 1, now + CLAIM
            hook = hooks[row.webhook_id]
            claims.append(
                _Claim(
                    row.id, row.attempts, row.tenant_id, row.webhook_id, row.event_id, row.event_type, row.event,
                    hook.url, hook.secret_encrypted, row.created_at,
                )
            )
        return claims


def _deliver(settings: Settings, claim: _Claim) -> None:
    try:
        answer = _send(settings, claim)
        retry_on_conflict(lambda: _record(settings, claim, answer))
    except Exception:  # one row's fault must not stop the others; its claim runs out and it is retried
        log.exception("webhook delivery %s attempt %d could not be completed", claim.delivery_id, claim.attempt)


def _send(settings: Settings, claim: _Claim) -> webhook_http.Answer:
    try:
        to = webhook_http.target(claim.url, allow_private=settings.allow_private_webhooks)
    except webhook_http.Refused as exc:  # checked again at every attempt: DNS answers change
        return webhook_http.Answer(None, 0, f"{webhooks.REFUSED_URL}{exc}")
    try:
        secret = webhooks.reveal(settings, claim.secret_encrypted)
    except InvalidToken:
        unreadable = "the signing secret cannot be read: DOCUMENT_HASH_KEY changed since registration"
        return webhook_http.Answer(None, 0, unreadable)
    body = json.dumps(claim.event, separators=(",", ":")).encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "CreditGate-Event-Id": str(claim.event_id),
        "CreditGate-Signature": webhooks.signature(secret, int(time.time()), body),
    }
    return webhook_http.post(to, body, headers, TIMEOUT_SECONDS)


def _record(settings: Settings, claim: _Claim, answer: webhook_http.Answer) -> None:
    now = utcnow()
    if answer.delivered:
        outcome, status, next_at = "delivered", "delivered", now
    else:
        next_at = now + backoff(settings.webhook_retry_base_seconds, claim.attempt)
        outcome = "retrying" if next_at < claim.created_at + RETRY_WINDOW else "failed"
        status = "pending" if outcome == "retrying" else "failed"
    with transaction() as session:
        # Only while this claim holds the row: a deleted webhook's row is cancelled, and no other claim
        # can be on it (that would take CLAIM to run out); the attempt is logged either way.
        session.execute(
            update(WebhookDelivery)
            .where(
                WebhookDelivery.id == claim.delivery_id,
                WebhookDelivery.attempts == claim.attempt,
                WebhookDelivery.status == "pending",
            )
            .values(status=status, next_attempt_at=next_at)
        )
        session.add(
            WebhookAttempt(
                tenant_id=claim.tenant_id, webhook_id=claim.webhook_id, delivery_id=claim.delivery_id,
                event_id=claim.event_id, event_type=claim.event_type, attempt=claim.attempt,
                status_code=answer.status_code, latency_ms=answer.latency_ms, error=answer.error,
                outcome=outcome, created_at=now,
            )
        )
    log.info(
        "webhook %s event %s attempt %d: %s (%s, %d ms)",
        claim.webhook_id, claim.event_id, claim.attempt, outcome,
        answer.status_code or answer.error, answer.latency_ms,
    )
