"""The stored context of the customers a worker scores, kept while the tenant's data is unchanged.

Reading a request's context was most of a prediction's time, and the same customers are scored
again and again between uploads. Batches are the only writes to a tenant's data, and each one
adds its `upload_batches` row in the same transaction, so the number of those rows is the
tenant's data version. It is read before the data, so what is cached is never older than the
version it is filed under: a change always misses the cache (at worst, one reload too many).

A tenant whose batches brought at most `WHOLE_TENANT_ROWS` items is loaded whole by the first
prediction after a change, so every customer scored next is a hit; a larger one is loaded
customer by customer, as they are scored.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cachetools import LRUCache
from sqlalchemy import bindparam, func, select

from shared.db import get_engine
from shared.db.models import Upload, UploadBatch
from shared.services.history import load_context

if TYPE_CHECKING:
    from shared.ml.frames import TenantHistory

MAX_CACHED_ROWS = 1_000_000  # all tenants of a worker together; ~100 bytes a row
WHOLE_TENANT_ROWS = 200_000

_STATE = (
    select(func.count(), func.coalesce(func.sum(UploadBatch.received), 0))
    .select_from(UploadBatch)
    .join(Upload)
    .where(Upload.tenant_id == bindparam("tenant_id"))
)


@dataclass(frozen=True)
class _Entry:
    version: int
    history: TenantHistory
    customers: frozenset[str] | None  # the ones asked for, with rows or not; None: every customer

    @property
    def rows(self) -> int:
        return sum(len(frame) for frame in self.history.frames) + 1

    def missing(self, wanted: frozenset[str]) -> frozenset[str]:
        return frozenset() if self.customers is None else wanted - self.customers

    def with_customers(self, customers: frozenset[str], loaded: TenantHistory) -> _Entry:
        return _Entry(self.version, self.history.combined(loaded), (self.customers or frozenset()) | customers)


_entries: LRUCache[uuid.UUID, _Entry] = LRUCache(maxsize=MAX_CACHED_ROWS, getsizeof=lambda entry: entry.rows)
_lock = threading.Lock()


def context_for(tenant_id: uuid.UUID, customer_ids: Collection[str]) -> TenantHistory:
    """The stored context of `customer_ids`, as `load_context(tenant_id, customer_ids)` reads it."""
    wanted = frozenset(customer_ids)
    with get_engine().connect() as connection:
        version, items = connection.execute(_STATE, {"tenant_id": tenant_id}).one()
    with _lock:
        entry = _entries.get(tenant_id)
    changed = entry is None or entry.version != version
    if changed:
        entry = _fresh(tenant_id, version, whole=items <= WHOLE_TENANT_ROWS)
    missing = entry.missing(wanted)
    if missing:
        entry = entry.with_customers(missing, load_context(tenant_id, missing))
    if changed or missing:
        _keep(tenant_id, entry)
    return entry.history.for_customers(wanted)


def _fresh(tenant_id: uuid.UUID, version: int, *, whole: bool) -> _Entry:
    from shared.ml.frames import TenantHistory

    if whole:
        return _Entry(version, load_context(tenant_id), customers=None)
    return _Entry(version, TenantHistory.from_frames(), customers=frozenset())


def _keep(tenant_id: uuid.UUID, entry: _Entry) -> None:
    with _lock:
        current = _entries.get(tenant_id)
        if current is not None and current.version > entry.version:
            return  # another request already filed newer data
        try:
            _entries[tenant_id] = entry
        except ValueError:  # more rows than the whole cache: served, not kept
            _entries.pop(tenant_id, None)
