"""The stored context of the customers a worker has scored, kept while the tenant's data is unchanged.

Reading a request's context was most of a prediction's time, and the same customers are scored
again and again between uploads. Batches are the only writes to a tenant's data, and each one
adds its `upload_batches` row in the same transaction, so the number of those rows is the
tenant's data version. It is read before the data, so what is cached is never older than the
version it is filed under: a change always misses the cache (at worst, one reload too many).
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
from shared.services.history import load_history

if TYPE_CHECKING:
    from shared.ml.frames import TenantHistory

MAX_CACHED_ROWS = 1_000_000  # all tenants of a worker together; ~100 bytes a row

_VERSION = select(func.count()).select_from(UploadBatch).join(Upload).where(Upload.tenant_id == bindparam("tenant_id"))


@dataclass(frozen=True)
class _Entry:
    version: int
    customers: frozenset[str]  # every customer asked for, with rows or not
    history: TenantHistory

    @property
    def rows(self) -> int:
        return sum(len(frame) for frame in self.history.frames) + 1

    def with_customers(self, customers: frozenset[str], loaded: TenantHistory) -> _Entry:
        return _Entry(self.version, self.customers | customers, self.history.combined(loaded))


_entries: LRUCache[uuid.UUID, _Entry] = LRUCache(maxsize=MAX_CACHED_ROWS, getsizeof=lambda entry: entry.rows)
_lock = threading.Lock()


def context_for(tenant_id: uuid.UUID, customer_ids: Collection[str]) -> TenantHistory:
    """The stored rows of `customer_ids`, as `load_history(tenant_id, customer_ids)` would read them."""
    from shared.ml.frames import TenantHistory

    wanted = frozenset(customer_ids)
    with get_engine().connect() as connection:
        version = connection.scalar(_VERSION, {"tenant_id": tenant_id})
    with _lock:
        entry = _entries.get(tenant_id)
    if entry is None or entry.version != version:
        entry = _Entry(version, frozenset(), TenantHistory.from_frames())
    missing = wanted - entry.customers
    if missing:
        entry = entry.with_customers(missing, load_history(tenant_id, missing))
        with _lock:
            current = _entries.get(tenant_id)
            if current is None or current.version <= version:
                try:
                    _entries[tenant_id] = entry
                except ValueError:  # more rows than the whole cache: served, not kept
                    _entries.pop(tenant_id, None)
    return entry.history.for_customers(wanted)
