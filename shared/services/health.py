"""Readiness: can this worker reach its database and its model store?"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy import text

from shared.adapters.model_store import model_store_from_settings
from shared.config import Settings
from shared.db import reading
from shared.schemas.health import Check, HealthReport

log = logging.getLogger(__name__)


def check(settings: Settings) -> HealthReport:
    database = _probe("database", _ping_database)
    model_store = _probe("model store", lambda: model_store_from_settings(settings).ping())
    healthy = database == model_store == "ok"
    return HealthReport(status="ok" if healthy else "unavailable", database=database, model_store=model_store)


def _ping_database() -> None:
    with reading() as connection:
        connection.execute(text("SELECT 1"))


def _probe(name: str, action: Callable[[], None]) -> Check:
    try:
        action()
    except Exception:  # any failure means "not ready"; the cause goes to the log, not the caller
        log.exception("health check: %s unreachable", name)
        return "unreachable"
    return "ok"
