"""Run a unit of work again when it lost a race to a concurrent one."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

T = TypeVar("T")
log = logging.getLogger(__name__)

# PostgreSQL serialization failure and deadlock; SQL Server deadlock victim.
_RETRYABLE_STATES = {"40001", "40P01"}
_RETRYABLE_MSSQL = {1205}


def _lost_race(exc: DBAPIError) -> bool:
    if isinstance(exc, IntegrityError):  # two writers inserted the same natural key at once
        return True
    state = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    code = exc.orig.args[0] if getattr(exc.orig, "args", None) else None
    return state in _RETRYABLE_STATES or code in _RETRYABLE_MSSQL or (
        isinstance(exc, OperationalError) and "database is locked" in str(exc.orig)
    )


def retry_on_conflict(work: Callable[[], T], attempts: int = 6) -> T:
    """`work` must be one whole transaction, so a retry starts from a clean slate."""
    for attempt in range(1, attempts + 1):
        try:
            return work()
        except DBAPIError as exc:
            if attempt == attempts or not _lost_race(exc):
                raise
            log.info("transaction lost a race (%s); retry %d", type(exc).__name__, attempt)
            time.sleep(random.uniform(0, 0.02 * attempt))
    raise AssertionError("unreachable")
