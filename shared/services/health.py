"""Readiness: can this worker use its database (reachable, schema current) and its model store?"""

from __future__ import annotations

import logging

from sqlalchemy import text

from shared.adapters.model_store import model_store_from_settings
from shared.config import Settings
from shared.db import reading
from shared.db.revision import require_current_schema
from shared.errors import FieldError, Unavailable
from shared.faults import RETRY_AFTER_SECONDS, is_transient
from shared.schemas.health import HealthReport

log = logging.getLogger(__name__)


def check(settings: Settings) -> HealthReport:
    """Raises `Unavailable` whose `errors` name each failed check (`loc`) and what is wrong."""
    failures: list[tuple[FieldError, bool]] = []
    try:
        with reading() as connection:
            connection.execute(text("SELECT 1"))
        require_current_schema()
    except Unavailable as exc:
        failures.append((FieldError(("database",), exc.detail), False))
    except Exception as exc:  # the cause goes to the log: driver messages may name hosts and users
        log.exception("health check: database unreachable")
        failures.append((FieldError(("database",), "The database cannot be reached."), is_transient(exc)))
    try:
        model_store_from_settings(settings).probe()
    except Exception as exc:
        log.exception("health check: model store unusable")
        failures.append(
            (FieldError(("model_store",), "The model store cannot be written and read back."), is_transient(exc))
        )
    if failures:
        raise Unavailable(
            " ".join(["Not ready."] + [error.msg for error, _ in failures]),
            errors=[error for error, _ in failures],
            retry_after=RETRY_AFTER_SECONDS if all(transient for _, transient in failures) else None,
        )
    return HealthReport(status="ok", database="ok", model_store="ok")
