"""The tenant's four datasets as DataFrames with fixed dtypes, whatever the caller loaded them from.

Callers (the service layer reading SQL rows, the sample generator, tests writing dicts by hand)
hand over whatever they have; `TenantHistory.from_frames` is the one place that turns it into
tz-aware UTC timestamps, midnight-UTC dates, float money, nullable-boolean labels and plain
`dict | None` attributes, so feature code never has to guess.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

FrameLike = pd.DataFrame | Sequence[Mapping[str, Any]] | None

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

_ID = ("customer_id", "order_id")
_TEXT = ("segment", "state", "channel")
_TIMESTAMPS = ("queried_at", "ordered_at")
_DATES = ("customer_since", "valid_from", "valid_until")
_FLOATS = ("limit", "amount", "score", *SERASA_COUNT_COLUMNS, *SERASA_AMOUNT_COLUMNS)


def _as_frame(data: FrameLike, columns: tuple[str, ...]) -> pd.DataFrame:
    if data is None:
        frame = pd.DataFrame(columns=list(columns))
    elif isinstance(data, pd.DataFrame):
        frame = data.reset_index(drop=True)
    else:
        frame = pd.DataFrame.from_records(list(data))
    for column in columns:
        if column not in frame.columns:
            frame[column] = None
    return frame.loc[:, list(columns)]


def _timestamps(values: pd.Series) -> pd.Series:
    """Naive values mean UTC (DESIGN §3); strings, datetimes and dates all land on ns precision."""
    return pd.to_datetime(values, utc=True, format="ISO8601").astype(TIMESTAMP)


def _normalise(frame: pd.DataFrame) -> pd.DataFrame:
    out = {}
    for column in frame.columns:
        values = frame[column]
        if column in _ID:
            out[column] = values.astype(str)
        elif column in _TEXT:
            out[column] = values.astype(object).where(values.notna(), None)
        elif column in _TIMESTAMPS:
            out[column] = _timestamps(values)
        elif column in _DATES:
            out[column] = _timestamps(values).dt.floor("D")
        elif column in _FLOATS:
            out[column] = pd.to_numeric(values).astype("float64")
        elif column == "payment_term_days":
            out[column] = pd.to_numeric(values).fillna(0).astype("int64")
        elif column == "invoiced":
            out[column] = values.astype("boolean")
        elif column == "attributes":
            out[column] = values.map(lambda v: v if isinstance(v, dict) and v else None).astype(object)
    return pd.DataFrame(out, index=frame.index)


def normalise_orders(orders: FrameLike) -> pd.DataFrame:
    """Orders (stored or from a prediction request) in the dtypes `build_features` relies on."""
    return _normalise(_as_frame(orders, ORDER_COLUMNS))


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
        """Accepts DataFrames, lists of dicts or None (empty); extra columns are dropped."""
        return cls(
            customers=_normalise(_as_frame(customers, CUSTOMER_COLUMNS)),
            credit_limits=_normalise(_as_frame(credit_limits, CREDIT_LIMIT_COLUMNS)),
            serasa_queries=_normalise(_as_frame(serasa_queries, SERASA_COLUMNS)),
            orders=normalise_orders(orders),
        )

    @classmethod
    def from_tenant(cls, tenant: Any) -> TenantHistory:
        """From anything with `.customers .credit_limits .serasa_queries .orders` (the sample generator)."""
        return cls.from_frames(tenant.customers, tenant.credit_limits, tenant.serasa_queries, tenant.orders)

    def for_customers(self, customer_ids: Iterable[str]) -> TenantHistory:
        """The slice the prediction path loads: only the context of the customers being scored."""
        wanted = pd.Index(np.unique(np.asarray(list(customer_ids), dtype=object).astype(str)))
        return TenantHistory(
            *(
                frame.loc[frame["customer_id"].isin(wanted)].reset_index(drop=True)
                for frame in (self.customers, self.credit_limits, self.serasa_queries, self.orders)
            )
        )

    @property
    def labeled_orders(self) -> pd.DataFrame:
        return self.orders.loc[self.orders["invoiced"].notna()]
