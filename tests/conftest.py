"""Fixtures shared by every test layer: an isolated settings environment and real databases."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest

from shared.config import get_settings
from shared.db.migrate import upgrade
from shared.devhost.process import SETTING_NAMES
from tests.services import Azurite, KafkaBroker, PostgresUnavailable, throwaway_postgres, unavailable


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
    yield from _postgres_database()


@pytest.fixture(scope="session")
def devhost_postgres_url() -> Iterator[str]:
    """The end-to-end devhost's own database: its timers (indexing the decision log, requeueing
    jobs) run for the whole session and must not touch what other tests set up in theirs."""
    yield from _postgres_database()


@pytest.fixture
def fresh_postgres_url() -> Iterator[str]:
    """An empty database of the test's own, for what must start from nothing."""
    yield from _postgres_database()


def _postgres_database() -> Iterator[str]:
    try:
        with throwaway_postgres() as url:
            yield url
    except PostgresUnavailable as exc:
        unavailable(str(exc))


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


@pytest.fixture(scope="session")
def azurite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Connection string of a running Azurite blob service."""
    server = Azurite(tmp_path_factory.mktemp("azurite"))
    server.start()
    try:
        yield server.connection_string
    finally:
        server.stop()


@pytest.fixture(scope="session")
def kafka_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KafkaBroker]:
    """A running Kafka-protocol broker: `.bootstrap` is "127.0.0.1:PORT"; `.create_topic(name)`;
    `with kafka_broker.outage(): ...` crashes it and brings it back on the same port."""
    broker = KafkaBroker(tmp_path_factory.mktemp("kafka"))
    broker.start()
    try:
        yield broker
    finally:
        broker.stop()
