"""Row locks that hold on every backend we support.

PostgreSQL takes `FOR SHARE` / `FOR UPDATE [SKIP LOCKED]`; SQLAlchemy's SQL Server dialect drops
those clauses silently, so SQL Server gets the equivalent table hints; SQLite needs neither (its
`BEGIN IMMEDIATE` transactions already serialise writers).
"""

from __future__ import annotations

from typing import Literal

from sqlalchemy import Select

LockMode = Literal["share", "update", "skip_locked"]

_MSSQL_HINTS: dict[LockMode, str] = {
    "share": "WITH (HOLDLOCK, ROWLOCK)",
    "update": "WITH (UPDLOCK, HOLDLOCK, ROWLOCK)",
    "skip_locked": "WITH (UPDLOCK, READPAST, ROWLOCK)",
}


def locked(query: Select, table, mode: LockMode) -> Select:
    """`query` locking the rows it reads from `table` until the transaction ends."""
    query = query.with_for_update(read=mode == "share", skip_locked=mode == "skip_locked")
    return query.with_hint(table, _MSSQL_HINTS[mode], dialect_name="mssql")
