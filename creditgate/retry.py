"""When to try a request again, and how long to wait first (pure: the unit tests pin the schedule)."""

from __future__ import annotations

import random
from collections.abc import Callable
from email.utils import parsedate_to_datetime
from datetime import UTC, datetime

BASE_SECONDS = 0.5
CAP_SECONDS = 30.0
# The longest Retry-After honoured as sent; a longer one is capped so a script is never parked for hours.
MAX_RETRY_AFTER = 300.0
# Refusals: the server did nothing, so even a request that is not idempotent may be sent again.
REFUSED = {429, 503}
# Failures after which the request may or may not have been carried out.
FAILED = {500, 502, 504}


def backoff(attempt: int, rng: Callable[[], float] = random.random) -> float:
    """Exponential backoff with jitter: attempt 0 waits 0.25..0.5 s, each next one twice as long, up
    to 15..30 s. The random half spreads clients that failed together, so they do not return together."""
    ceiling = min(CAP_SECONDS, BASE_SECONDS * 2**attempt)
    return ceiling / 2 + rng() * ceiling / 2


def retry_after(value: str | None, now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> float | None:
    """Seconds from a Retry-After header: delta-seconds or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        seconds = float(value)
    else:
        try:
            seconds = (parsedate_to_datetime(value) - now()).total_seconds()
        except (TypeError, ValueError):
            return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


def should_retry(status: int, idempotent: bool) -> bool:
    return status in REFUSED or (idempotent and status in FAILED)


def wait_seconds(attempt: int, retry_after_header: str | None, rng: Callable[[], float] = random.random) -> float:
    """The server's Retry-After when it gave one (plus a little jitter), else the backoff."""
    told = retry_after(retry_after_header)
    if told is None:
        return backoff(attempt, rng)
    return told + rng() * BASE_SECONDS
