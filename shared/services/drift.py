"""Per-day drift counters: a prediction request's binned counts (carried in its logged batch) are
added to them when the batch is indexed (`predictions.index_decisions`), in the same transaction
that moves the batch, so a count is added exactly once and the request itself writes nothing more."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy.orm import Session

from shared.db.counters import add_to_counters
from shared.db.models import DriftCount, PredictionBatch

KEY = ("tenant_id", "model_version", "day", "feature", "bin")


def add_counts(session: Session, batches: Iterable[PredictionBatch]) -> None:
    added: dict[tuple, dict[str, int]] = defaultdict(lambda: {"count": 0})
    for batch in batches:
        day = batch.created_at.date()
        for feature, counts in (batch.decisions.get("drift") or {}).items():
            for position, count in enumerate(counts):
                if count:
                    added[batch.tenant_id, batch.model_version, day, feature, position]["count"] += count
    add_to_counters(session, DriftCount.__table__, KEY, 3, added)
