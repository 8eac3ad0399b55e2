"""Per-day drift counters: a prediction request's binned counts (carried in its logged batch) are
added to them when the batch is indexed (`predictions.index_decisions`), in the same transaction
that moves the batch, so a count is added exactly once and the request itself writes nothing more."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from sqlalchemy import and_, bindparam, insert, or_, select, update
from sqlalchemy.orm import Session

from shared.db.models import DriftCount, PredictionBatch

_TABLE = DriftCount.__table__
_ADD = (
    update(_TABLE)
    .where(*(_TABLE.c[name] == bindparam(f"w_{name}") for name in ("tenant_id", "model_version", "day", "feature", "bin")))
    .values(count=_TABLE.c.count + bindparam("added"))
)


def add_counts(session: Session, batches: Iterable[PredictionBatch]) -> None:
    """Adds the batches' counts to their day's counters (plain SELECT / INSERT / UPDATE, as
    `shared.db.upsert`: a concurrent first insert of a counter fails and the caller retries)."""
    added: Counter = Counter()
    for batch in batches:
        day = batch.created_at.date()
        for feature, counts in (batch.decisions.get("drift") or {}).items():
            for position, count in enumerate(counts):
                if count:
                    added[batch.tenant_id, batch.model_version, day, feature, position] += count
    if not added:
        return
    days = {key[:3] for key in added}
    existing = set(session.execute(
        select(_TABLE.c.tenant_id, _TABLE.c.model_version, _TABLE.c.day, _TABLE.c.feature, _TABLE.c.bin)
        .where(or_(*(
            and_(_TABLE.c.tenant_id == tenant, _TABLE.c.model_version == version, _TABLE.c.day == day)
            for tenant, version, day in days
        )))
    ).all())
    names = ("tenant_id", "model_version", "day", "feature", "bin")
    fresh = [dict(zip(names, key), count=count) for key, count in added.items() if key not in existing]
    if fresh:
        session.execute(insert(_TABLE), fresh)
    if stale := [
        {**{f"w_{name}": value for name, value in zip(names, key)}, "added": count}
        for key, count in added.items() if key in existing
    ]:
        session.execute(_ADD, stale)
