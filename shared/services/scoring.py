"""Features for orders sent in a request, with the tenant's stored data as their context.

The same feature code as training (`HistoryIndex.features`), over an index of the stored data of
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
    import pandas as pd

    from shared.ml.features import HistoryIndex


def context_for(principal: Principal, orders: Sequence[OrderFields]) -> HistoryIndex:
    return context_cache.context_for(principal.tenant_id, {order.customer_id for order in orders})


def features_for(principal: Principal, orders: Sequence[OrderFields], context: HistoryIndex | None = None) -> pd.DataFrame:
    import numpy as np
    import pandas as pd

    from shared.ml.frames import normalise_orders

    context = context if context is not None else context_for(principal, orders)
    columns = {name: [getattr(order, name) for order in orders] for name in OrderFields.model_fields}
    # Typed from what validation guarantees (UTC datetimes, Decimals), which spares pandas'
    # general parsers of object columns (to_datetime, to_numeric) on every request.
    columns["ordered_at"] = pd.DatetimeIndex(columns["ordered_at"]).array
    columns["amount"] = np.array(columns["amount"], dtype="float64")
    return context.features(normalise_orders(columns))
