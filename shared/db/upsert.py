"""Upsert by natural key with plain SELECT / INSERT / UPDATE, so it runs on every backend.

No dialect-only statement (ON CONFLICT, MERGE): existing keys are read first, new rows inserted
in one executemany, existing ones updated in another. A concurrent writer of the same key makes
the INSERT fail; callers run this inside `retry_on_conflict`, and the retry sees the row.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, and_, bindparam, insert, select, update
from sqlalchemy.orm import Session


@dataclass(frozen=True)
class UpsertCount:
    inserted: int
    updated: int


def upsert(session: Session, table: Table, key: Sequence[str], tenant_id: uuid.UUID, rows: list[dict[str, Any]]) -> UpsertCount:
    """`key` is the natural key within the tenant; its first column narrows the lookup (an index prefix)."""
    # Literal keys: PostgreSQL hashes a constant IN list (a bound one is scanned per row when stale
    # statistics pick a tenant scan), and SQL Server's 2,100-parameter limit stays out of reach.
    wanted = bindparam("wanted", sorted({row[key[0]] for row in rows}), expanding=True, literal_execute=True)
    existing = {
        tuple(found)
        for found in session.execute(
            select(*(table.c[name] for name in key)).where(table.c.tenant_id == tenant_id, table.c[key[0]].in_(wanted))
        )
    }
    fresh = [row for row in rows if tuple(row[name] for name in key) not in existing]
    stale = [row for row in rows if tuple(row[name] for name in key) in existing]
    if fresh:
        session.execute(insert(table), fresh)
    if stale:
        # Bind names must differ from column names in an executemany UPDATE.
        where = ("tenant_id", *key)
        changed = [name for name in stale[0] if name not in where]
        session.execute(
            update(table)
            .where(and_(*(table.c[name] == bindparam(f"w_{name}") for name in where)))
            .values({name: bindparam(f"v_{name}") for name in changed}),
            [
                {**{f"w_{name}": row[name] for name in where}, **{f"v_{name}": row[name] for name in changed}}
                for row in stale
            ],
        )
    return UpsertCount(inserted=len(fresh), updated=len(stale))
