"""Which failures are transient: worth answering 503 with Retry-After, or retrying a job later.

One place classifies, so the HTTP layer and the training retry agree. Transient means the same
work may well succeed later without anyone changing code or data: a full disk or quota, an I/O
error, a database that is busy, locked, restarting or unreachable, a blob store that is busy or
unreachable. Bugs, bad input and refused credentials are not transient: retrying them only hides
them. Driver libraries are looked up in `sys.modules`, never imported here: an exception of a
library nobody loaded cannot occur, and importing this module stays free for a cold start.
"""

from __future__ import annotations

import errno
import re
import sqlite3
import sys

from sqlalchemy import exc as sa

RETRY_AFTER_SECONDS = 10  # what a 503 for a transient fault asks callers to wait
_OS_ERRNOS = frozenset(
    getattr(errno, name)
    for name in (
        "ENOSPC", "EDQUOT", "EIO", "EAGAIN", "EBUSY", "EINTR", "ENOMEM", "EMFILE", "ENFILE", "ETIMEDOUT",
        "ECONNREFUSED", "ECONNRESET", "ECONNABORTED", "EPIPE", "ENETDOWN", "ENETUNREACH", "EHOSTUNREACH",
    )  # fmt: skip
    if hasattr(errno, name)
)
# Primary result codes (the low byte of an extended code, e.g. SQLITE_IOERR_WRITE).
_SQLITE_CODES = frozenset({
    sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_NOMEM, sqlite3.SQLITE_IOERR,
    sqlite3.SQLITE_FULL, sqlite3.SQLITE_PROTOCOL,
})  # fmt: skip
_SQLITE_MESSAGES = ("database or disk is full", "database is locked", "disk i/o error")
# PostgreSQL SQLSTATEs: connection exceptions (08), insufficient resources (53: disk full, out of
# memory, too many connections), server shutting down or starting (57P0x), system I/O error (58),
# serialization failure, deadlock, lock not available, statement timeout.
_PG_CLASSES = ("08", "53", "57P", "58")
_PG_STATES = frozenset({"40001", "40P01", "55P03", "57014"})
# ODBC SQLSTATEs (connection and timeout classes) and SQL Server error numbers: deadlock victim,
# filegroup or log full, Azure SQL throttling, busy or unavailable database, failover.
_ODBC_STATES = ("08", "HYT", "40001")
_MSSQL_ERRORS = frozenset(
    {1205, 1105, 9002, 4060, 40197, 40501, 40613, 49918, 49919, 49920, 10928, 10929, 10053, 10054, 10060}
)
_PARENTHESISED_NUMBER = re.compile(r"\((\d+)\)")  # "... (40613) (SQLDriverConnect)"
_DRIVERS = ("psycopg", "pyodbc")
_HTTP_STATUSES = frozenset({408, 429, 500, 502, 503, 504})


def is_transient(exc: BaseException) -> bool:
    """True when a later retry of the same work may succeed (see the module docstring)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:  # explicit causes: `raise ... from exc`
        seen.add(id(current))
        if _transient(current):
            return True
        current = current.__cause__
    return False


def _transient(exc: BaseException) -> bool:
    flagged = getattr(exc, "transient", None)  # our own wrappers say what they wrapped
    if isinstance(flagged, bool):
        return flagged
    if isinstance(exc, (sa.DisconnectionError, sa.TimeoutError)):  # pool checkout or a dropped connection
        return True
    if isinstance(exc, sa.DBAPIError):
        return exc.connection_invalidated or _driver_transient(exc.orig)
    if isinstance(exc, sqlite3.Error) or type(exc).__module__.partition(".")[0] in _DRIVERS:  # not wrapped
        return _driver_transient(exc)
    if isinstance(exc, OSError):  # includes ConnectionError and TimeoutError
        return exc.errno in _OS_ERRNOS or (exc.errno is None and isinstance(exc, (ConnectionError, TimeoutError)))
    return _azure_transient(exc)


def _driver_transient(orig: BaseException) -> bool:
    """A DBAPI driver's exception: SQLite's result code, PostgreSQL's or ODBC's SQLSTATE."""
    if isinstance(orig, sqlite3.Error):
        code = getattr(orig, "sqlite_errorcode", None)
        if code is not None:
            return code & 0xFF in _SQLITE_CODES
        return any(message in str(orig).lower() for message in _SQLITE_MESSAGES)
    state = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if state:  # psycopg
        return state.startswith(_PG_CLASSES) or state in _PG_STATES
    if type(orig).__module__ == "pyodbc" and orig.args:
        odbc_state, message = str(orig.args[0]), str(orig.args[-1])
        numbers = {int(number) for number in _PARENTHESISED_NUMBER.findall(message)}
        return odbc_state.startswith(_ODBC_STATES) or bool(numbers & _MSSQL_ERRORS)
    # A driver's OperationalError without a code: psycopg's "connection refused" and the like.
    return type(orig).__name__ == "OperationalError"


def _azure_transient(exc: BaseException) -> bool:
    azure = sys.modules.get("azure.core.exceptions")
    if azure is None:
        return False
    if isinstance(exc, (azure.ServiceRequestError, azure.ServiceResponseError)):  # transport: no answer
        return True
    return isinstance(exc, azure.HttpResponseError) and getattr(exc, "status_code", None) in _HTTP_STATUSES
