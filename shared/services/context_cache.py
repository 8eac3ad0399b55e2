"""The scoring context of a worker's tenants, prepared once and kept while their data is unchanged.

Reading and preparing a request's context was most of a prediction's time, and the same
customers are scored again and again between uploads. Batches are the only writes to a tenant's
data, and each one adds its `upload_batches` row in the same transaction, so the number of those
rows is the tenant's data version. It is read before the data, so what is cached is never older
than the version it is filed under: a change always misses the cache (at worst, one reload too
many).

A tenant whose batches brought at most CONTEXT_WHOLE_TENANT_ROWS items is loaded and indexed
whole by the first prediction after a change, so a request is lookups only. A larger one is loaded
customer by customer, as they are scored, and indexed per request over its customers' rows. All
the tenants of a worker keep at most CONTEXT_CACHE_ROWS rows, least recently used ones dropped.
"""

from __future__ import annotations

import functools
import threading
import uuid
from collections.abc import Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cachetools import LRUCache
from sqlalchemy import bindparam, func, select

from shared.config import get_settings
from shared.db import reading
from shared.db.models import Upload, UploadBatch
from shared.services.history import load_context

if TYPE_CHECKING:
    from shared.ml.features import HistoryIndex
    from shared.ml.frames import TenantHistory

_STATE = (
    select(func.count(), func.coalesce(func.sum(UploadBatch.received), 0))
    .select_from(UploadBatch)
    .join(Upload)
    .where(Upload.tenant_id == bindparam("tenant_id"))
)


@dataclass(frozen=True)
class _WholeTenant:
    version: int
    index: HistoryIndex

    @property
    def rows(self) -> int:
        return self.index.rows + 1

    def context(self, tenant_id: uuid.UUID, wanted: frozenset[str]) -> tuple[HistoryIndex, _WholeTenant]:
        return self.index, self


@dataclass(frozen=True)
class _ByCustomer:
    version: int
    history: TenantHistory
    customers: frozenset[str]  # the ones asked for, with rows or not

    @property
    def rows(self) -> int:
        return sum(len(frame) for frame in self.history.frames) + 1

    def context(self, tenant_id: uuid.UUID, wanted: frozenset[str]) -> tuple[HistoryIndex, _ByCustomer]:
        from shared.ml.features import HistoryIndex

        entry = self
        if missing := wanted - self.customers:
            loaded = load_context(tenant_id, missing)
            entry = _ByCustomer(self.version, self.history.combined(loaded), self.customers | missing)
        return HistoryIndex(entry.history.for_customers(wanted)), entry


_Entry = _WholeTenant | _ByCustomer
_lock = threading.Lock()


@functools.cache
def _entries(max_rows: int) -> LRUCache[uuid.UUID, _Entry]:
    """The worker's cache, made when the first context is asked for, from the settings then."""
    return LRUCache(maxsize=max_rows, getsizeof=lambda entry: entry.rows)


def context_for(tenant_id: uuid.UUID, customer_ids: Collection[str]) -> HistoryIndex:
    """An index of the stored context of `customer_ids` (at least), as `load_context` reads it."""
    settings = get_settings()
    entries = _entries(settings.context_cache_rows)
    with reading() as connection:
        version, items = connection.execute(_STATE, {"tenant_id": tenant_id}).one()
    with _lock:
        cached = entries.get(tenant_id)
    current = cached if cached is not None and cached.version == version else _fresh(
        tenant_id, version, whole=items <= settings.context_whole_tenant_rows
    )
    index, entry = current.context(tenant_id, frozenset(customer_ids))
    if entry is not cached:
        _keep(entries, tenant_id, entry)
    return index


def _fresh(tenant_id: uuid.UUID, version: int, *, whole: bool) -> _Entry:
    from shared.ml.features import HistoryIndex
    from shared.ml.frames import TenantHistory

    if whole:
        return _WholeTenant(version, HistoryIndex(load_context(tenant_id)))
    return _ByCustomer(version, TenantHistory.from_frames(), customers=frozenset())


def _keep(entries: LRUCache[uuid.UUID, _Entry], tenant_id: uuid.UUID, entry: _Entry) -> None:
    with _lock:
        current = entries.get(tenant_id)
        if current is not None and current.version > entry.version:
            return  # another request already filed newer data
        try:
            entries[tenant_id] = entry
        except ValueError:  # more rows than the whole cache: served, not kept
            entries.pop(tenant_id, None)
