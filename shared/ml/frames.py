"""The tenant's four datasets as DataFrames with fixed dtypes, whatever the caller loaded them from.

Callers (the service layer reading SQL rows, the sample generator, tests writing dicts by hand)
hand over whatever they have; `TenantHistory.from_frames` is the one place that turns it into
tz-aware UTC timestamps, midnight-UTC dates, float money, nullable-boolean labels and
attributes as a dict or the JSON text the database keeps (None when absent), so feature code never
has to guess. Stored attributes stay text until features are built: a dict for each of a million
loaded orders would have been half of the memory they take.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import pandas as pd

# A DataFrame, a mapping of column name to values, a list of row dicts, or None (empty).
FrameLike = pd.DataFrame | Mapping[str, Sequence[Any]] | Sequence[Mapping[str, Any]] | None

TIMESTAMP = "datetime64[ns, UTC]"

CUSTOMER_COLUMNS = ("customer_id", "customer_since", "segment", "state", "attributes")
CREDIT_LIMIT_COLUMNS = ("customer_id", "valid_from", "valid_until", "limit")
SERASA_COUNT_COLUMNS = (
    "negative_records",
    "protests",
    "bounced_checks",
    "lawsuits",
    "bankruptcy_filings",
)
SERASA_AMOUNT_COLUMNS = ("negative_amount", "protests_amount")
SERASA_COLUMNS = (
    "customer_id",
    "queried_at",
    "score",
    *SERASA_COUNT_COLUMNS,
    *SERASA_AMOUNT_COLUMNS,
    "attributes",
)
ORDER_COLUMNS = (
    "order_id",
    "customer_id",
    "ordered_at",
    "amount",
    "payment_term_days",
    "channel",
    "attributes",
    "invoiced",
)

DATASET_COLUMNS = {
    "customers": CUSTOMER_COLUMNS,
    "credit_limits": CREDIT_LIMIT_COLUMNS,
    "serasa_queries": SERASA_COLUMNS,
    "orders": ORDER_COLUMNS,
}

_ID = ("customer_id", "order_id")
_TEXT = ("segment", "state", "channel")
_TIMESTAMPS = ("queried_at", "ordered_at")
_DATES = ("customer_since", "valid_from", "valid_until")
_FLOATS = ("limit", "amount", "score", *SERASA_COUNT_COLUMNS, *SERASA_AMOUNT_COLUMNS)


Column = np.ndarray | pd.api.extensions.ExtensionArray
# Normalised data: a frame `_normalise` made, or a mapping of the same columns as arrays of its dtypes.
Columns = pd.DataFrame | Mapping[str, Column]


def _columns(data: FrameLike, names: tuple[str, ...]) -> tuple[int, dict[str, Column]]:
    """The number of rows and the named columns of whatever the caller has, as arrays (absent
    columns left out): converting arrays, not Series, spares pandas' fixed cost per call."""
    if data is None:
        return 0, {}
    if isinstance(data, pd.DataFrame):
        return len(data), {name: _array(data[name]) for name in names if name in data.columns}
    if isinstance(data, Mapping):
        columns = {name: _array(data[name]) for name in names if name in data}
        return len(next(iter(data.values()), ())), columns
    rows = list(data)
    return len(rows), {name: _array([row.get(name) for row in rows]) for name in names}


def _array(values: Any) -> Column:
    if isinstance(values, pd.Series):
        return values.array if isinstance(values.dtype, pd.api.extensions.ExtensionDtype) else values.to_numpy()
    if isinstance(values, np.ndarray | pd.api.extensions.ExtensionArray):
        return values
    array = np.empty(len(values), dtype=object)
    array[:] = values
    return array


def _timestamps(values: Column, *, day: bool = False) -> pd.api.extensions.ExtensionArray:
    """Naive values mean UTC (DESIGN §3); strings, datetimes and dates all land on ns precision.

    `day` floors them to the UTC midnight. Naive datetime64 input (what the database gives) is
    floored and converted by numpy: per column, pandas' general parser cost more than the rows.
    """
    if isinstance(values, np.ndarray) and values.dtype.kind == "M":
        naive = values.astype("datetime64[D]" if day else "datetime64[ns]").astype("datetime64[ns]")
        return pd.DatetimeIndex(naive).tz_localize("UTC").array
    if not isinstance(values.dtype, pd.DatetimeTZDtype):
        values = pd.to_datetime(np.asarray(values, dtype=object), utc=True, format="ISO8601").array
    stamps = values.astype(TIMESTAMP)
    return stamps.floor("D") if day else stamps


def _numbers(values: Column) -> np.ndarray:
    """Numeric arrays as they are (missing values NaN); anything else parsed by `pd.to_numeric`."""
    if isinstance(values, np.ndarray) and values.dtype.kind in "fiub":
        return values
    if values.dtype.kind in "fiub":  # nullable (masked) numbers
        return values.to_numpy(dtype="float64", na_value=np.nan)
    return pd.to_numeric(np.asarray(values, dtype=object))


def _convert(column: str, values: Column) -> Column | pd.Series:
    """One column in its fixed dtype."""
    if column in _ID:
        return pd.array(values, dtype=str)
    if column in _TEXT:
        text = np.array(values, dtype=object)
        text[pd.isna(text)] = None
        return pd.Series(text, dtype=object, copy=False)  # a bare object array would be inferred as str
    if column in _TIMESTAMPS or column in _DATES:
        return _timestamps(values, day=column in _DATES)
    if column in _FLOATS:
        return _numbers(values).astype("float64")
    if column == "payment_term_days":
        numbers = _numbers(values)
        return (np.where(np.isnan(numbers), 0, numbers) if numbers.dtype.kind == "f" else numbers).astype("int64")
    if column == "invoiced":
        return values if isinstance(values.dtype, pd.BooleanDtype) else pd.array(values, dtype="boolean")
    if column == "attributes":
        return pd.Series([_attribute_value(value) for value in values], dtype=object)
    raise KeyError(column)


def _attribute_value(value: Any) -> str | dict | None:
    """Text passes as it is (the database's JSON), as does a non-empty dict; anything else is absent."""
    return value if isinstance(value, str) or (isinstance(value, dict) and value) else None


def _normalise(data: FrameLike, names: tuple[str, ...]) -> pd.DataFrame:
    """The named columns (absent ones empty) in their dtypes, as one frame built from arrays."""
    length, columns = _columns(data, names)
    empty = np.full(length, None, dtype=object)
    return pd.DataFrame({name: _convert(name, columns.get(name, empty)) for name in names})


def normalise_orders(orders: FrameLike) -> pd.DataFrame:
    """Orders (stored or from a prediction request) in the dtypes `build_features` relies on."""
    return _normalise(orders, ORDER_COLUMNS)


def normalise(dataset: str, data: FrameLike) -> pd.DataFrame:
    """One dataset (a `TenantHistory` field) in its fixed dtypes; extra columns are dropped."""
    return _normalise(data, DATASET_COLUMNS[dataset])


def _text(values: Iterable[str]) -> np.ndarray:
    return np.asarray(list(values), dtype=object)


@dataclass(frozen=True)
class TenantHistory:
    """Everything one tenant has sent, already normalised; the only input of feature building."""

    customers: pd.DataFrame
    credit_limits: pd.DataFrame
    serasa_queries: pd.DataFrame
    orders: pd.DataFrame

    @classmethod
    def from_frames(
        cls,
        customers: FrameLike = None,
        credit_limits: FrameLike = None,
        serasa_queries: FrameLike = None,
        orders: FrameLike = None,
    ) -> TenantHistory:
        """Accepts any `FrameLike` per dataset; extra columns are dropped."""
        given = {"customers": customers, "credit_limits": credit_limits, "serasa_queries": serasa_queries, "orders": orders}
        return cls(**{name: normalise(name, data) for name, data in given.items()})

    @classmethod
    def from_tenant(cls, tenant: Any) -> TenantHistory:
        """From anything with `.customers .credit_limits .serasa_queries .orders` (the sample generator)."""
        return cls.from_frames(tenant.customers, tenant.credit_limits, tenant.serasa_queries, tenant.orders)

    @property
    def frames(self) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
        return self.customers, self.credit_limits, self.serasa_queries, self.orders

    def for_customers(self, customer_ids: Iterable[str]) -> TenantHistory:
        """The slice the prediction path loads: only the context of the customers being scored."""
        wanted = pd.Index(np.unique(_text(customer_ids).astype(str)))
        return TenantHistory(*(frame.loc[frame["customer_id"].isin(wanted)].reset_index(drop=True) for frame in self.frames))

    def combined(self, other: TenantHistory) -> TenantHistory:
        """This history's rows and then another's (of other customers) together."""
        return TenantHistory(*(pd.concat([mine, theirs], ignore_index=True) for mine, theirs in zip(self.frames, other.frames)))

    def replaced(
        self,
        rows: Mapping[str, pd.DataFrame],
        written: Mapping[str, tuple[str, Collection[str]]],
        customers: Collection[str] | None = None,
    ) -> tuple[TenantHistory, dict[str, tuple[pd.DataFrame, pd.DataFrame]]]:
        """This history with the normalised `rows[dataset]` in place of the rows of each dataset
        named in `written` whose `column` value is among `values` (its `(column, values)`), and of
        `rows` only those of `customers`, if given: what batches that wrote those keys left stored,
        if `rows` were read after them. The other datasets' frames are this history's own.

        Also, per dataset named, the rows taken out and the rows put in (for `HistoryIndex`)."""
        frames = dict(zip((field.name for field in fields(self)), self.frames))
        rewritten = {}
        for name, (column, values) in written.items():
            mine, theirs = frames[name], rows.get(name, frames[name].iloc[:0])
            if customers is not None:
                theirs = theirs.loc[theirs["customer_id"].isin(_text(customers))]
            gone = mine[column].isin(_text(values)).to_numpy()
            rewritten[name] = (mine.loc[gone], theirs)
            frames[name] = pd.concat([mine.loc[~gone], theirs], ignore_index=True)
        return TenantHistory(**frames), rewritten

    @property
    def labeled_orders(self) -> pd.DataFrame:
        return self.orders.loc[self.orders["invoiced"].notna()]
