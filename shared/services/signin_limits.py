"""Limits on sign-in attempts (`POST /api/token`, `POST /api/signup`; DESIGN §4, §7).

Two counters per fixed window of SIGNIN_WINDOW_SECONDS, kept in the database so that every
instance sees every attempt:
- a client address's attempts, every one it makes while under its limit;
- an email's failures: a wrong password or unknown email at sign-in, an email already taken at
  sign-up. A success neither counts nor resets them: the window ends soon anyway, and a success
  then costs no write.
Both are checked before any Argon2 work, so a refused attempt costs no password hashing. A caller
found over a limit is remembered in memory until its window ends, so a flood of refused attempts
costs no database round trip either. Fixed windows let a caller through at most twice its limit
across one window boundary, and concurrent attempts on one email may all pass the check before
their failures are counted (at most the hashing slots' worth per instance). Emails and addresses are stored only as an HMAC (DOCUMENT_HASH_KEY),
and never logged.

Password hashing is bounded too: a few hashes run at once and a few more may wait; beyond that an
attempt is refused at once, so hashing cannot hold every worker thread of an instance.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging
import math
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from shared.config import Settings
from shared.db import transaction
from shared.db.models import SigninCounter
from shared.db.retry import retry_on_conflict
from shared.errors import TooManyRequests

log = logging.getLogger(__name__)

# Argon2 (64 MiB, four lanes) takes ~0.12 s and one and a half cores of the 2-core reference
# machine: two at once use it whole, two more may queue behind them. Measured with 16 clients
# sending wrong passwords under no limit: an authenticated GET /models went from a p50 of ~9 s
# with every hash let in to ~0.4 s with these slots (on a busy machine).
HASHES_RUNNING = 2
HASHES_WAITING = 2
# Callers remembered as over a limit; beyond this many, the database answers for the rest.
_BLOCKED_MAX = 100_000


@dataclass(frozen=True)
class Caller:
    """Who attempts a sign-in, as stored: keyed hashes of the email and of the client's network."""

    email: str
    address: str


def client_network(address: str) -> str:
    """`203.0.113.9:51234` -> `203.0.113.9`; an IPv6 address -> its /64, which a subscriber
    usually holds whole (counting single IPv6 addresses would let one caller use 2^64 of them)."""
    host = address.strip()
    if host.startswith("["):
        host = host[1:].partition("]")[0]
    elif host.count(":") == 1:
        host = host.partition(":")[0]
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return host.lower()[:100]  # not an address, still one caller
    if isinstance(ip, ipaddress.IPv6Address):
        return str(ip.ipv4_mapped or ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


@lru_cache(maxsize=4)
def _hash_key(settings: Settings) -> bytes:
    # Once per settings: in the embedded default the key is a file, and a refused attempt is
    # otherwise little more than this.
    return settings.secret("document_hash_key")


def _keyed(settings: Settings, scope: str, value: str) -> str:
    return hmac.new(_hash_key(settings), f"{scope}:{value}".encode(), hashlib.sha256).hexdigest()


class _Blocked:
    """Callers over a limit and the Unix time their window ends: final until then, as counts
    within a window only grow."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._until: dict[tuple[str, str], float] = {}

    def check(self, keys: list[tuple[str, str]], now: float) -> None:
        ends = max((self._until.get(key, 0.0) for key in keys), default=0.0)
        if ends > now:
            _refuse(ends, now)

    def add(self, key: tuple[str, str], ends: float, now: float) -> None:
        with self._lock:
            if len(self._until) >= _BLOCKED_MAX:
                for stale in [known for known, until in self._until.items() if until <= now]:
                    del self._until[stale]
            if len(self._until) < _BLOCKED_MAX:
                self._until[key] = ends


_blocked = _Blocked()


def _refuse(ends: float, now: float) -> None:
    raise TooManyRequests(
        "Too many sign-in attempts; try again later.", retry_after=max(1, math.ceil(ends - now))
    )


def _window(settings: Settings, now: float) -> tuple[int, int]:
    size = settings.signin_window_seconds
    start = int(now // size * size)
    return start, start + size


def _count(session: Session, start: int, scope: str, key: str) -> int:
    """One more hit of `key` in the window starting at `start`; the hits so far, this one included.
    Opening a key's row also deletes the rows of ended windows, which keeps the table to about the
    callers of the current window."""
    where = (SigninCounter.window_start == start, SigninCounter.scope == scope, SigninCounter.key_hmac == key)
    hits = session.scalar(
        update(SigninCounter).where(*where).values(hits=SigninCounter.hits + 1).returning(SigninCounter.hits)
    )
    if hits is None:
        session.execute(delete(SigninCounter).where(SigninCounter.window_start < start))
        session.execute(insert(SigninCounter).values(window_start=start, scope=scope, key_hmac=key, hits=1))
        hits = 1
    return hits


def caller_of(settings: Settings, email: str, address: str) -> Caller:
    return Caller(
        email=_keyed(settings, "email", email.lower()),
        address=_keyed(settings, "address", client_network(address)),
    )


def admit(settings: Settings, email: str, address: str) -> Caller:
    """Count the attempt against its address and refuse it (TooManyRequests) when the address or
    the email is over its limit; the caller to pass to `record_failure` after a failure."""
    who = caller_of(settings, email, address)
    now = time.time()
    _blocked.check([("email", who.email), ("address", who.address)], now)
    start, ends = _window(settings, now)

    def count() -> tuple[int, int]:
        with transaction() as session:
            attempts = _count(session, start, "address", who.address)
            failures = session.scalar(
                select(SigninCounter.hits).where(
                    SigninCounter.window_start == start,
                    SigninCounter.scope == "email",
                    SigninCounter.key_hmac == who.email,
                )
            )
            return attempts, failures or 0

    attempts, failures = retry_on_conflict(count)
    over = {
        ("address", who.address): attempts > settings.signin_max_attempts_per_address,
        ("email", who.email): failures >= settings.signin_max_failures_per_email,
    }
    for key in [key for key, over_limit in over.items() if over_limit]:
        _block(key, ends, now)
    if any(over.values()):
        _refuse(ends, now)
    return who


def record_failure(settings: Settings, caller: Caller) -> None:
    """A wrong password, an unknown email or an email already taken: one more failure of the email."""
    now = time.time()
    start, ends = _window(settings, now)

    def count() -> int:
        with transaction() as session:
            return _count(session, start, "email", caller.email)

    if retry_on_conflict(count) >= settings.signin_max_failures_per_email:
        _block(("email", caller.email), ends, now)


def _block(key: tuple[str, str], ends: float, now: float) -> None:
    scope, hashed = key
    log.info("sign-in limit reached by an %s (key %s...) until %d", scope, hashed[:12], ends)
    _blocked.add(key, ends, now)


class HashingSlots:
    """At most `running` hashes at once and `waiting` more queued; any further one is refused."""

    def __init__(self, running: int, waiting: int) -> None:
        self._running = threading.BoundedSemaphore(running)
        self._admitted = threading.BoundedSemaphore(running + waiting)

    @contextmanager
    def __call__(self) -> Iterator[None]:
        if not self._admitted.acquire(blocking=False):
            raise TooManyRequests("Too many sign-ins at once; try again in a moment.", retry_after=1)
        try:
            with self._running:
                yield
        finally:
            self._admitted.release()


password_hashing = HashingSlots(HASHES_RUNNING, HASHES_WAITING)
"""`with password_hashing(): ...` around an Argon2 hash or verification."""
