"""One engine per process (per URL), and the transaction scope every use case runs in."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from pydantic_core import to_json
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from shared.config import get_settings
from shared.db.azure_sql import use_entra_tokens, wants_entra_token

_READING = "creditgate_reading"


def _tune_sqlite(dbapi_connection, _record) -> None:
    # WAL lets readers run beside the single writer; busy_timeout queues writers instead of failing.
    dbapi_connection.isolation_level = None  # SQLAlchemy's "begin" hook below emits BEGIN itself
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    # Checkpoint (copy the WAL into the database, with an fsync) every ~40 MB instead of every
    # ~4 MB: the prediction log's order index spreads each indexed batch over many pages, and
    # checkpoints that often made every other write wait on one.
    cursor.execute("PRAGMA wal_autocheckpoint=10000")
    # 16 MB of page cache per connection (SQLite's default is 2 MB): indexing logged decisions
    # inserts into an index of every decision ever made, which thrashed the smaller cache.
    cursor.execute("PRAGMA cache_size=-16384")
    cursor.close()


def _begin(connection: Connection) -> None:
    # A writer takes the write lock up front: a deferred transaction that reads, then writes,
    # fails with SQLITE_BUSY_SNAPSHOT under concurrency instead of waiting its turn. A reader
    # (`reading`) takes none: under WAL it reads its snapshot beside the writer.
    connection.exec_driver_sql("BEGIN" if connection.get_execution_options().get(_READING) else "BEGIN IMMEDIATE")


def _json_text(value: object) -> str:
    # pydantic-core's encoder: 8x the standard library's on a request's logged decisions.
    return to_json(value).decode()


@lru_cache(maxsize=4)
def engine_for(url: str) -> Engine:
    parsed = make_url(url)
    # hide_parameters: bound values (hashes, documents) never reach logs or error messages.
    # pre_ping: a pooled connection a database server dropped is replaced before use; a SQLite
    # file has no server to drop it, so there it would only be a query more per checkout.
    sqlite = parsed.get_backend_name() == "sqlite"
    options: dict = {"hide_parameters": True, "pool_pre_ping": not sqlite, "json_serializer": _json_text}
    if sqlite:
        if parsed.database:
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        options["connect_args"] = {"check_same_thread": False, "timeout": 30}
    if parsed.get_backend_name() == "mssql":
        options["fast_executemany"] = True  # pyodbc sends a batch's rows in one round trip
    engine = create_engine(parsed, **options)
    if sqlite:
        event.listen(engine, "connect", _tune_sqlite)
        event.listen(engine, "begin", _begin)
    if wants_entra_token(parsed):
        use_entra_tokens(engine)
    return engine


def get_engine() -> Engine:
    return engine_for(get_settings().sqlalchemy_url)


@lru_cache(maxsize=4)
def _session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def reading() -> Iterator[Connection]:
    """A connection for reads only, which never wait for a writer: on SQLite, a training job's
    load or a prediction's lookups would otherwise queue behind every upload batch (and hold
    the uploads back while they read)."""
    with get_engine().connect() as connection:
        yield connection.execution_options(**{_READING: True})


@contextmanager
def transaction() -> Iterator[Session]:
    """A session whose work commits together or not at all."""
    with _session_factory(get_engine()).begin() as session:
        yield session
