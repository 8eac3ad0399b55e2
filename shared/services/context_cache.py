"""The scoring context of a worker's tenants, prepared once and brought up to date batch by batch.

Reading and preparing a request's context was most of a prediction's time, and the same
customers are scored again and again between uploads. Batches are the only writes to a tenant's
data; each one adds its `upload_batches` row in the same transaction, with the leading key values
of the rows it wrote (`written_keys`). A cached context knows which batches its rows include, and
each request first counts the tenant's batches: a new one makes the request read just the rows
its batches wrote and put them in place of their old versions, in the rows kept and in the index
(`HistoryIndex` re-indexes only the datasets they belong to, and takes orders out of and into its
running sums), where it used to reload and index the whole tenant. It still does when the new
batches wrote more than half the rows kept, or recorded no keys. The batch list is read before
the data, so what is cached is never older than the batches it is filed under (at worst, one
reload too many); batches older than SETTLED are counted rather than listed, so following a
tenant's thousands of small batches reads only the last few. One request per tenant brings it
up to date; the others wait for it rather than all reading the same rows.

A tenant whose batches brought at most CONTEXT_WHOLE_TENANT_ROWS items is loaded and indexed
whole, so a request is lookups only. A larger one is loaded customer by customer, as they are
scored, and indexed per request over its customers' rows. All the tenants of a worker keep at
most CONTEXT_CACHE_ROWS rows, least recently used ones dropped.
"""

from __future__ import annotations

import functools
import threading
import uuid
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from cachetools import LRUCache
from sqlalchemy import Connection, Row, bindparam, func, select

from shared.config import Settings, get_settings
from shared.db import reading
from shared.db.models import Upload, UploadBatch
from shared.db.types import utcnow
from shared.services.history import load_context, load_rows
from shared.services.uploads import NATURAL_KEYS

if TYPE_CHECKING:
    from shared.ml.features import HistoryIndex
    from shared.ml.frames import TenantHistory

_TENANT = Upload.tenant_id == bindparam("tenant_id")
_COUNT = select(func.count()).select_from(UploadBatch).join(Upload).where(_TENANT)
_BELOW = (
    select(func.count()).select_from(UploadBatch).join(Upload).where(_TENANT, UploadBatch.id <= bindparam("floor"))
)
_ABOVE = (
    select(UploadBatch.id, UploadBatch.received, UploadBatch.created_at)
    .join(Upload)
    .where(_TENANT, UploadBatch.id > bindparam("floor"))
)
# From the first new batch on: batches commit out of id order, so "above the last one seen" could miss one.
_WRITTEN = (
    select(UploadBatch.id, UploadBatch.dataset, UploadBatch.written_keys)
    .join(Upload)
    .where(_TENANT, UploadBatch.id >= bindparam("first"))
)
# A batch this old is taken to be committed: the batches of a context up to it are then counted,
# no longer listed. Should one still commit below it, the count shows it and the tenant is read again.
SETTLED = timedelta(minutes=1)


@dataclass(frozen=True)
class _Batches:
    """The tenant's batches a context includes: `below` of them with ids up to `floor`, counted,
    and those listed in `recent`, above it; `items` they brought in all."""

    floor: int = 0
    below: int = 0
    recent: frozenset[int] = frozenset()
    items: int = 0

    def __len__(self) -> int:
        return self.below + len(self.recent)

    def including(self, above: list[Row], new: set[int]) -> _Batches:
        """These and the `new` ones of `above` (id, received, created_at of every batch above the floor)."""
        cutoff = utcnow() - SETTLED
        floor = max((batch for batch, _, created_at in above if created_at < cutoff), default=self.floor)
        return _Batches(
            floor,
            self.below + sum(1 for batch, _, _ in above if batch <= floor),
            frozenset(batch for batch, _, _ in above if batch > floor),
            self.items + sum(received for batch, received, _ in above if batch in new),
        )


@dataclass(frozen=True)
class _Entry:
    batches: _Batches  # the tenant's batches its rows include
    history: TenantHistory  # the stored rows of `customers`
    customers: frozenset[str] | None  # the ones asked for, with rows or not; None: the tenant whole
    index: HistoryIndex | None  # of the whole history, when the tenant is kept whole

    @property
    def rows(self) -> int:
        return sum(len(frame) for frame in self.history.frames) + 1

    def covers(self, wanted: frozenset[str]) -> bool:
        return self.customers is None or wanted <= self.customers

    def index_for(self, wanted: frozenset[str]) -> HistoryIndex:
        from shared.ml.features import HistoryIndex

        return self.index if self.index is not None else HistoryIndex(self.history.for_customers(wanted))

    def with_customers(self, tenant_id: uuid.UUID, wanted: frozenset[str]) -> _Entry:
        missing = wanted - self.customers
        history = self.history.combined(load_context(tenant_id, missing))
        return _Entry(self.batches, history, self.customers | missing, None)

    def after(self, tenant_id: uuid.UUID, batches: _Batches, written: dict[str, set[str]]) -> _Entry:
        """This entry with the rows that `written` names read again: what new batches wrote.

        Kept customer by customer, it reads only its customers' rows, except orders, read by
        order id: an update may have moved an order from one of them to another customer.
        """
        from shared.ml.features import HistoryIndex

        keys = {name: (NATURAL_KEYS[name][0], values) for name, values in written.items()}
        wanted = {
            name: values & self.customers if self.customers is not None and column == "customer_id" else values
            for name, (column, values) in keys.items()
        }
        history, rewritten = self.history.replaced(load_rows(tenant_id, wanted), keys, self.customers)
        index = HistoryIndex(history, self.index, rewritten) if self.index is not None else None
        return _Entry(batches, history, self.customers, index)


_lock = threading.Lock()
# A tenant is brought up to date under one of these (by its hash): a lock per tenant, but bounded.
_REFRESHING = tuple(threading.Lock() for _ in range(64))


@functools.cache
def _entries(max_rows: int) -> LRUCache[uuid.UUID, _Entry]:
    """The worker's cache, made when the first context is asked for, from the settings then."""
    return LRUCache(maxsize=max_rows, getsizeof=lambda entry: entry.rows)


def context_for(tenant_id: uuid.UUID, customer_ids: Collection[str]) -> HistoryIndex:
    """An index of the stored context of `customer_ids` (at least), as `load_context` reads it."""
    settings = get_settings()
    entries = _entries(settings.context_cache_rows)
    wanted = frozenset(customer_ids)
    with reading() as connection:
        count = connection.execute(_COUNT, {"tenant_id": tenant_id}).scalar_one()
    with _lock:
        entry = entries.get(tenant_id)
    if entry is None or count > len(entry.batches) or not entry.covers(wanted):
        with _REFRESHING[hash(tenant_id) % len(_REFRESHING)]:
            with _lock:
                cached = entry = entries.get(tenant_id)  # another request may have just brought it up to date
            if entry is None or count > len(entry.batches):
                entry = _caught_up(tenant_id, entry, settings)
            if not entry.covers(wanted):
                entry = entry.with_customers(tenant_id, wanted)
            if entry is not cached:
                _keep(entries, tenant_id, entry)
    return entry.index_for(wanted)


def _caught_up(tenant_id: uuid.UUID, cached: _Entry | None, settings: Settings) -> _Entry:
    """The entry with every batch stored now: `cached` with what the new ones wrote, or a fresh one."""
    written = None
    with reading() as connection:
        known = cached.batches if cached is not None else _Batches()
        below = connection.execute(_BELOW, {"tenant_id": tenant_id, "floor": known.floor}).scalar_one()
        if below != known.below:  # one committed below the floor after all
            cached, known = None, _Batches()
        above = connection.execute(_ABOVE, {"tenant_id": tenant_id, "floor": known.floor}).all()
        new = {batch for batch, _, _ in above} - known.recent
        batches = known.including(above, new)
        whole = batches.items <= settings.context_whole_tenant_rows
        few = (batches.items - known.items) * 2 <= (cached.rows if cached is not None else 0)
        if cached is not None and (cached.customers is None) == whole and few:
            written = _written(connection, tenant_id, new)
    if written is None:
        return _fresh(tenant_id, batches, whole=whole)
    return cached.after(tenant_id, batches, written)


def _written(connection: Connection, tenant_id: uuid.UUID, new: set[int]) -> dict[str, set[str]] | None:
    """Per dataset, the keys the `new` batches wrote; None if one of them did not record its keys."""
    written: dict[str, set[str]] = defaultdict(set)
    if not new:
        return written
    for batch, dataset, keys in connection.execute(_WRITTEN, {"tenant_id": tenant_id, "first": min(new)}):
        if batch in new:
            if keys is None:
                return None
            written[dataset].update(keys)
    return written


def _fresh(tenant_id: uuid.UUID, batches: _Batches, *, whole: bool) -> _Entry:
    from shared.ml.features import HistoryIndex
    from shared.ml.frames import TenantHistory

    if whole:
        history = load_context(tenant_id)
        return _Entry(batches, history, None, HistoryIndex(history))
    return _Entry(batches, TenantHistory.from_frames(), frozenset(), None)


def _keep(entries: LRUCache[uuid.UUID, _Entry], tenant_id: uuid.UUID, entry: _Entry) -> None:
    with _lock:
        try:
            entries[tenant_id] = entry
        except ValueError:  # more rows than the whole cache: served, not kept
            entries.pop(tenant_id, None)
