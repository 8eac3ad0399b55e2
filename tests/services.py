"""Helpers for fixtures (and benchmarks) that need real services."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from shared.devhost.process import free_port

__all__ = ["POSTGRES_ADMIN_URL", "PostgresUnavailable", "free_port", "throwaway_postgres", "unavailable"]

POSTGRES_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


class PostgresUnavailable(RuntimeError):
    pass


def unavailable(reason: str) -> None:
    """Skip locally; under CI=true a missing service is a failure, never a silent skip."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"required service unavailable under CI: {reason}", pytrace=False)
    pytest.skip(reason)


@contextmanager
def throwaway_postgres(admin_url: str = POSTGRES_ADMIN_URL) -> Iterator[str]:
    """A new database on the local server, dropped afterwards; yields its URL."""
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"creditgate_test_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as exc:
        admin.dispose()
        raise PostgresUnavailable(f"PostgreSQL not reachable at {admin_url}: {exc.orig}") from None
    try:
        yield admin_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
