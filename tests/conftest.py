"""Fixtures shared by every test layer: an isolated settings environment and real databases."""

from __future__ import annotations

import os
import secrets
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from shared.config import Settings, get_settings
from shared.db.migrate import upgrade
from tests.services import unavailable

POSTGRES_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
SETTING_NAMES = {
    alias
    for field in Settings.model_fields.values()
    for alias in getattr(field.validation_alias, "choices", [field.validation_alias])
    if isinstance(alias, str)
}


@pytest.fixture(autouse=True)
def app_env(tmp_path, monkeypatch) -> Iterator[None]:
    """Each test starts from the embedded default in its own APP_DATA_DIR, whatever the shell has set."""
    for name in SETTING_NAMES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no developer's local.settings.json leaks in
    monkeypatch.setenv("APP_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A throwaway database on the local PostgreSQL server, dropped at the end of the run."""
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            name = f"creditgate_test_{uuid.uuid4().hex[:12]}"
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as exc:
        admin.dispose()
        unavailable(f"PostgreSQL not reachable at {POSTGRES_ADMIN_URL}: {exc.orig}")
    yield POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def use_database(monkeypatch, backend: str, request) -> str:
    """Point the settings at `backend` and bring its schema to head."""
    if backend == "postgresql":
        monkeypatch.setenv("DATABASE_URL", request.getfixturevalue("postgres_url"))
        monkeypatch.setenv("JWT_SECRET", secrets.token_urlsafe(32))
        monkeypatch.setenv("DOCUMENT_HASH_KEY", secrets.token_urlsafe(32))
    get_settings.cache_clear()
    upgrade()
    return get_settings().sqlalchemy_url


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request, monkeypatch) -> str:
    """The test runs once on SQLite (embedded default) and once on PostgreSQL."""
    return use_database(monkeypatch, request.param, request)
