"""Features for orders sent in a request, with the tenant's stored data as their context.

The same `build_features` as training, over the context of the request's customers only (exact,
because every feature is computed per customer), which the worker's `context_cache` keeps while
the tenant's data is unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from shared.schemas.datasets import OrderFields
from shared.security import Principal
from shared.services import context_cache

if TYPE_CHECKING:
    import pandas as pd

    from shared.ml.frames import TenantHistory


def context_for(principal: Principal, orders: Sequence[OrderFields]) -> TenantHistory:
    return context_cache.context_for(principal.tenant_id, {order.customer_id for order in orders})


def features_for(principal: Principal, orders: Sequence[OrderFields], history: TenantHistory | None = None) -> pd.DataFrame:
    from shared.ml.features import build_features

    history = history if history is not None else context_for(principal, orders)
    return build_features(history, [order.model_dump(exclude={"invoiced"}) for order in orders])
