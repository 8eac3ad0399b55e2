"""Training requests go through the outbox: written with the change, published by the relay."""

from __future__ import annotations

import json
import logging
from functools import lru_cache

from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.adapters.events import EventPublisher, OutgoingEvent, PublishError, publisher_from_settings
from shared.config import Settings
from shared.db import transaction
from shared.db.locking import locked
from shared.db.models import OutboxEvent, TrainingJob
from shared.db.types import utcnow

log = logging.getLogger(__name__)
RELAY_BATCH = 100


def request_training(session: Session, settings: Settings, job: TrainingJob) -> None:
    """Called inside the transaction that queues `job`, so the event exists iff the job does."""
    session.add(
        OutboxEvent(
            tenant_id=job.tenant_id,
            topic=settings.training_event_hub,
            payload={
                "type": "training.requested",
                "job_id": str(job.id),
                "tenant_id": str(job.tenant_id),
                "upload_id": str(job.upload_id),
                "requested_at": utcnow().isoformat(),
            },
        )
    )


@lru_cache(maxsize=4)
def _publisher(settings: Settings) -> EventPublisher:
    return publisher_from_settings(settings)  # producers hold connections: one per process


def relay(settings: Settings, publisher: EventPublisher | None = None) -> int:
    """Publish what the outbox holds; on a broker failure the rows stay for the next run."""
    publisher = publisher or _publisher(settings)
    published = 0
    while True:
        with transaction() as session:
            pending = select(OutboxEvent).where(OutboxEvent.published_at.is_(None)).order_by(OutboxEvent.id).limit(RELAY_BATCH)
            # Two relays (commit and timer, or two workers) never publish the same rows.
            rows = session.scalars(locked(pending, OutboxEvent, "skip_locked")).all()
            if not rows:
                return published
            events = [OutgoingEvent(json.dumps(row.payload).encode(), str(row.tenant_id)) for row in rows]
            try:
                publisher.publish(events)
            except PublishError as exc:
                for row in rows:
                    row.attempts += 1
                log.warning("outbox relay: %d events left for later: %s", len(rows), exc)
                return published
            now = utcnow()
            for row in rows:
                row.published_at = now
            published += len(rows)
        if len(rows) < RELAY_BATCH:
            return published


def relay_soon_after_commit(settings: Settings) -> None:
    """Best effort: the timer relays whatever this misses, so a failure here is only logged."""
    try:
        relay(settings)
    except Exception:
        log.warning("outbox relay after commit failed; the timer will retry", exc_info=True)
