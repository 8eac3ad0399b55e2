"""`is_transient` on failures made for real where a machine can make them, and on the documented
codes of the ones it cannot (a SQL Server failover, an Azure throttle)."""

from __future__ import annotations

import errno
import sqlite3
from pathlib import Path

import psycopg
import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError, ServiceRequestError
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from shared.adapters.model_store import ModelStoreUnavailable
from shared.faults import is_transient
from tests.services import free_port


def raised(action) -> BaseException:
    try:
        action()
    except BaseException as exc:  # noqa: BLE001 - the point is to keep whatever it raised
        return exc
    raise AssertionError("nothing was raised")


def _write_to_dev_full() -> None:
    with open("/dev/full", "wb") as device:
        device.write(b"x")
        device.flush()


def _sqlite_full(path: Path) -> None:
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (v BLOB)"))
    with engine.begin() as connection:
        connection.exec_driver_sql("PRAGMA max_page_count=3")
        connection.execute(text("INSERT INTO t VALUES (zeroblob(100000))"))


def _sqlite_locked(path: Path) -> None:
    holder = sqlite3.connect(path, timeout=0)
    holder.execute("BEGIN IMMEDIATE")
    try:
        sqlite3.connect(path, timeout=0).execute("BEGIN IMMEDIATE")
    finally:
        holder.rollback()


def test_a_full_disk_or_database_is_transient(tmp_path: Path) -> None:
    assert is_transient(raised(_write_to_dev_full))  # ENOSPC
    full = raised(lambda: _sqlite_full(tmp_path / "full.db"))
    assert isinstance(full, OperationalError) and "full" in str(full) and is_transient(full)
    assert is_transient(OSError(errno.EDQUOT, "Disk quota exceeded"))
    assert is_transient(OSError(errno.EIO, "Input/output error"))


def test_a_locked_or_unreachable_database_is_transient(tmp_path: Path) -> None:
    assert is_transient(raised(lambda: _sqlite_locked(tmp_path / "locked.db")))
    dead = create_engine(f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/none?connect_timeout=2")
    refused = raised(dead.connect)
    assert isinstance(refused, OperationalError) and is_transient(refused)


def test_bugs_bad_data_and_missing_things_are_not_transient(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (v INTEGER PRIMARY KEY)"))
        connection.execute(text("INSERT INTO t VALUES (1)"))
    with engine.connect() as connection:
        duplicate = raised(lambda: connection.execute(text("INSERT INTO t VALUES (1)")))
        no_table = raised(lambda: connection.execute(text("SELECT * FROM missing")))
    assert isinstance(duplicate, IntegrityError) and not is_transient(duplicate)
    assert isinstance(no_table, OperationalError) and not is_transient(no_table), "a schema problem, not a fault"
    assert not is_transient(raised(lambda: open(tmp_path / "absent", "rb")))  # ENOENT
    assert not is_transient(ValueError("bad"))
    assert not is_transient(ResourceNotFoundError("no such blob"))


def test_postgresql_codes() -> None:
    def raised_by_server(sqlstate: str) -> DBAPIError:  # psycopg's own class for that SQLSTATE
        return DBAPIError("SELECT 1", None, psycopg.errors.lookup(sqlstate)())

    assert is_transient(raised_by_server("53100"))  # disk_full
    assert is_transient(raised_by_server("57P01"))  # admin_shutdown (a restart)
    assert is_transient(raised_by_server("40P01"))  # deadlock_detected
    assert not is_transient(raised_by_server("42P01"))  # undefined_table
    assert not is_transient(raised_by_server("23505"))  # unique_violation
    assert is_transient(psycopg.errors.lookup("53100")()), "unwrapped, as the driver raised it"


def test_sql_server_codes() -> None:
    pyodbc = pytest.importorskip("pyodbc", reason="pyodbc needs unixODBC (libodbc) installed", exc_type=ImportError)
    failover = pyodbc.OperationalError("42000", "[42000] Database 'x' on server 'y' is not currently available. (40613) (SQLExecDirectW)")
    link = pyodbc.OperationalError("08S01", "[08S01] TCP Provider: Error code 0x68 (104) (SQLExecDirectW)")
    syntax = pyodbc.ProgrammingError("42000", "[42000] Incorrect syntax near 'x'. (102) (SQLExecDirectW)")
    assert is_transient(DBAPIError("SELECT 1", None, failover))
    assert is_transient(DBAPIError("SELECT 1", None, link))
    assert not is_transient(DBAPIError("SELECT 1", None, syntax))


def test_blob_store_errors() -> None:
    busy = HttpResponseError("The server is busy.")
    busy.status_code = 503
    forbidden = HttpResponseError("This request is not authorized.")
    forbidden.status_code = 403
    assert is_transient(busy) and is_transient(ServiceRequestError("connection refused"))
    assert not is_transient(forbidden)
    assert is_transient(ModelStoreUnavailable("store busy", transient=True))
    assert not is_transient(ModelStoreUnavailable("store refused our credentials"))


def test_a_cause_is_followed() -> None:
    try:
        try:
            _write_to_dev_full()
        except OSError as exc:
            raise RuntimeError("could not save") from exc
    except RuntimeError as wrapper:
        assert is_transient(wrapper)
