"""Per-company request rate on the authenticated routes: a token bucket per company, in memory.

A prediction is a few milliseconds of work, so the limit must not cost it a database write: each
worker process keeps its own buckets. The limit is therefore per instance (and per worker process
of an instance): N instances let a company through at up to N times TENANT_REQUESTS_PER_MINUTE.
It keeps one company from taking a worker's every thread, not an exact quota.

A bucket holds up to TENANT_REQUESTS_PER_MINUTE requests and refills at that many per minute; a
request takes one, an empty bucket answers 429 with the seconds until the next one is due.
"""

from __future__ import annotations

import math
import threading
import time
import uuid

from shared.config import Settings
from shared.errors import TooManyRequests

# Buckets kept before full ones (which behave exactly like absent ones) are dropped.
_PRUNE_ABOVE = 10_000

_lock = threading.Lock()
_buckets: dict[uuid.UUID, tuple[float, float]] = {}  # tenant -> (tokens left, monotonic time of that count)


def admit(settings: Settings, tenant_id: uuid.UUID) -> None:
    """Take one request from the company's bucket, or raise TooManyRequests."""
    capacity = settings.tenant_requests_per_minute
    per_second = capacity / 60
    now = time.monotonic()
    with _lock:
        tokens, then = _buckets.get(tenant_id, (capacity, now))
        tokens = min(capacity, tokens + (now - then) * per_second)
        if tokens < 1:
            _buckets[tenant_id] = (tokens, now)
            raise TooManyRequests(
                f"Your company's request rate is over {capacity} a minute; slow down.",
                retry_after=math.ceil((1 - tokens) / per_second),
            )
        _buckets[tenant_id] = (tokens - 1, now)
        if len(_buckets) > _PRUNE_ABOVE:
            _drop_full(capacity, per_second, now)


def _drop_full(capacity: int, per_second: float, now: float) -> None:
    for tenant, (tokens, then) in list(_buckets.items()):
        if tokens + (now - then) * per_second >= capacity:
            del _buckets[tenant]
