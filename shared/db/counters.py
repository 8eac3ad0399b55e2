"""Adding to counter rows by key, with plain SELECT / INSERT / UPDATE so it runs on every backend
(as `shared.db.upsert`): keys not there yet are inserted, the others incremented in one
executemany. A concurrent first insert of the same key fails; callers run the whole transaction
in `retry_on_conflict`, and the retry increments the row the other one inserted."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import Table, and_, bindparam, insert, or_, select, update
from sqlalchemy.orm import Session


def add_to_counters(
    session: Session, table: Table, key: Sequence[str], prefix: int, added: Mapping[tuple, Mapping[str, object]]
) -> None:
    """`added`: key values -> amounts to add to the value columns. Existing rows are looked up by
    the first `prefix` key columns (an index prefix, few distinct values per call)."""
    if not added:
        return
    prefixes = {values[:prefix] for values in added}
    existing = set(session.execute(
        select(*(table.c[name] for name in key)).where(or_(*(
            and_(*(table.c[name] == value for name, value in zip(key, values, strict=False))) for values in prefixes
        )))
    ).all())
    fresh = [dict(zip(key, values)) | dict(amounts) for values, amounts in added.items() if values not in existing]
    stale = [
        {f"w_{name}": value for name, value in zip(key, values)} | {f"v_{name}": amount for name, amount in amounts.items()}
        for values, amounts in added.items() if values in existing
    ]
    if fresh:
        session.execute(insert(table), fresh)
    if stale:
        columns = list(next(iter(added.values())))
        session.execute(
            update(table)
            .where(*(table.c[name] == bindparam(f"w_{name}") for name in key))
            .values({name: table.c[name] + bindparam(f"v_{name}") for name in columns}),
            stale,
        )
