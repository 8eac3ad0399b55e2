"""A tenant's stored data as the DataFrames the ML code works on (numpy and pandas load lazily).

Rows are fetched with SQLAlchemy Core and handed over column by column: `pd.read_sql` and
`DataFrame.from_records` walk SQLAlchemy `Row` objects one by one, and built DataFrames that
`TenantHistory.from_frames` only took apart again, together several times the query itself.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from functools import cache
from typing import TYPE_CHECKING

from sqlalchemy import Float, Result, Select, UnicodeText, bindparam, cast, select, type_coerce
from sqlalchemy.types import NullType

from shared.db import reading
from shared.db.models import CreditLimit, Customer, Order, SerasaQuery

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from shared.ml.frames import TenantHistory

# By column name (comparing SQLAlchemy columns with `in` builds SQL expressions, slowly).
_MONEY = {"limit", "negative_amount", "protests_amount", "amount"}
# Fetched as the driver returns them (ISO text on SQLite, naive datetimes elsewhere; UTC as stored)
# and parsed by numpy a column at a time: SQLAlchemy's per-row conversion cost more than the query.
_TIMESTAMPS = {"customer_since", "valid_from", "valid_until", "queried_at", "ordered_at"}
CHUNK_ROWS = 50_000
_CHUNKED = {"yield_per": CHUNK_ROWS}  # without it, rows come (and are converted) one at a time
KEYS_PER_QUERY = 1_000  # SQL Server takes at most 2,100 parameters in a statement
_REPEATED_TEXT = {"customer_id", "channel", "segment", "state"}


def _columns(model, names: tuple[str, ...]) -> list:
    columns = []
    for name in names:
        column = getattr(model, name)
        if name in _MONEY:
            # Floats for the models: Decimal objects per row would be slow and useless to scikit-learn.
            column = cast(column, Float).label(name)
        elif name in _TIMESTAMPS:
            column = type_coerce(column, NullType()).label(name)
        elif name == "attributes":
            column = cast(column, UnicodeText).label(name)  # JSON text: drivers would build a dict per row
        columns.append(column)
    return columns


@cache
def _queries(context: bool, filtered_by: str | None) -> dict[str, Select]:
    """Built once per process, tenant and `keys` bound at execution: building these selects
    (and their cache keys) anew took longer than running them.

    `filtered_by`: None (every row), "customer" (the rows of the `keys` customers) or "leading key"
    (the rows whose leading natural key, as `UploadBatch.written_keys` records it, is in `keys`).
    """
    from shared.ml.features import CONTEXT_ORDER_COLUMNS
    from shared.ml.frames import CREDIT_LIMIT_COLUMNS, CUSTOMER_COLUMNS, ORDER_COLUMNS, SERASA_COLUMNS
    from shared.services.uploads import NATURAL_KEYS

    queries = {}
    for name, model, columns in (
        ("customers", Customer, CUSTOMER_COLUMNS),
        ("credit_limits", CreditLimit, CREDIT_LIMIT_COLUMNS),
        ("serasa_queries", SerasaQuery, SERASA_COLUMNS),
        ("orders", Order, CONTEXT_ORDER_COLUMNS if context else ORDER_COLUMNS),
    ):
        query = select(*_columns(model, columns)).where(model.tenant_id == bindparam("tenant_id"))
        if filtered_by is not None:
            key = getattr(model, "customer_id" if filtered_by == "customer" else NATURAL_KEYS[name][0])
            query = query.where(key.in_(bindparam("keys", expanding=True)))
        queries[name] = query
    return queries


def _fetch(results: Iterable[Result]) -> dict[str, np.ndarray]:
    """The results' columns (the same ones) as arrays, by name, built a chunk of rows at a time: a
    million orders as Row objects all at once cost a gigabyte that the process did not give back
    afterwards."""
    import numpy as np

    names: list[str] = []
    chunks: list[list[np.ndarray]] = []
    for result in results:
        names = names or list(result.keys())
        chunks = chunks or [[] for _ in names]
        for rows in result.partitions():
            for parts, name, values in zip(chunks, names, zip(*rows)):
                parts.append(_array(name, values))
    return {name: np.concatenate(parts) if parts else _array(name, ()) for name, parts in zip(names, chunks)}


def _array(name: str, values: Sequence) -> np.ndarray:
    import numpy as np
    import pandas as pd

    if name in _TIMESTAMPS:
        return np.array(values, dtype="datetime64[ns]")
    if name in _MONEY:
        return np.array(values, dtype="float64")  # None -> NaN
    array = np.empty(len(values), dtype=object)
    array[:] = values
    if name in _REPEATED_TEXT:
        # One str per distinct value, not per row: the rows' own copies are freed with the chunk,
        # where a million of them kept alive would pin most of the loaded rows' memory.
        codes, uniques = pd.factorize(array, use_na_sentinel=False)
        array = np.asarray(uniques, dtype=object)[codes]
    return array


def load_history(tenant_id: uuid.UUID) -> TenantHistory:
    """All of the tenant's data (what training reads)."""
    return _load(tenant_id, context=False)


def load_context(tenant_id: uuid.UUID, customer_ids: Collection[str] | None = None) -> TenantHistory:
    """What scoring orders reads: the context of `customer_ids`, or of every customer.

    Features are per customer, and a stored order enters another order's features only through
    `CONTEXT_ORDER_COLUMNS`, so the context leaves out the stored orders' channel and attributes.
    """
    return _load(tenant_id, context=True, customer_ids=customer_ids)


def load_rows(tenant_id: uuid.UUID, keys: Mapping[str, Collection[str]]) -> dict[str, pd.DataFrame]:
    """Per dataset named in `keys`, normalised, its context rows whose leading natural key is
    among the dataset's keys: what batches that recorded these `written_keys` wrote."""
    from shared.ml.frames import normalise

    queries = _queries(True, "leading key")
    with reading() as connection:
        return {
            name: normalise(name, _fetch(
                connection.execute(queries[name], {"tenant_id": tenant_id, "keys": part}, execution_options=_CHUNKED)
                for part in _chunks(sorted(values), KEYS_PER_QUERY)
            ))
            for name, values in keys.items()
            if values
        }


def _chunks(values: list[str], size: int) -> Iterator[list[str]]:
    return (values[start : start + size] for start in range(0, len(values), size))


def _load(tenant_id: uuid.UUID, *, context: bool, customer_ids: Collection[str] | None = None) -> TenantHistory:
    from shared.ml.frames import TenantHistory

    parameters = {"tenant_id": tenant_id}
    if customer_ids is not None:
        parameters["keys"] = sorted(customer_ids)
    queries = _queries(context, None if customer_ids is None else "customer")
    with reading() as connection:
        frames = {
            name: _fetch([connection.execute(query, parameters, execution_options=_CHUNKED)])
            for name, query in queries.items()
        }
    return TenantHistory.from_frames(**frames)
