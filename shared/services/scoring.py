"""Features for orders sent in a request, with the tenant's stored data as their context.

The same feature code as training (`HistoryIndex.columns`), over an index of the stored data of
the request's customers (exact, because every feature is computed per customer), which the
worker's `context_cache` keeps while the tenant's data is unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from shared.schemas.datasets import OrderFields
from shared.security import Principal
from shared.services import context_cache

if TYPE_CHECKING:
    import numpy as np

    from shared.ml.features import HistoryIndex


def context_for(principal: Principal, orders: Sequence[OrderFields]) -> HistoryIndex:
    return context_cache.context_for(principal.tenant_id, {order.customer_id for order in orders})


def features_for(
    principal: Principal, orders: Sequence[OrderFields], context: HistoryIndex | None = None
) -> dict[str, np.ndarray]:
    """The orders' features: an array per feature, its rows in the order of `orders`."""
    context = context if context is not None else context_for(principal, orders)
    return context.columns(order_columns(orders))


def order_columns(orders: Sequence[OrderFields]) -> dict[str, np.ndarray]:
    """Validated orders as the normalised columns feature code reads.

    Typed from what validation guarantees (ids and labels as text, UTC datetimes, Decimal
    amounts, whole terms, attributes a dict): `normalise_orders`' general conversions, made for
    whatever a caller loaded, cost a tenth of a request.
    """
    import numpy as np
    import pandas as pd

    def column(name: str, dtype: str = "object") -> np.ndarray:
        return np.array([getattr(order, name) for order in orders], dtype=dtype)

    return {
        "order_id": column("order_id"),
        "customer_id": column("customer_id"),
        "ordered_at": np.asarray(pd.DatetimeIndex([order.ordered_at for order in orders]), dtype="datetime64[ns]"),
        "amount": column("amount", "float64"),
        "payment_term_days": column("payment_term_days", "int64"),
        "channel": column("channel"),
        "attributes": np.array([order.attributes or None for order in orders], dtype=object),
    }
