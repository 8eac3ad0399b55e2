"""A tenant's stored data as the DataFrames the ML code works on (pandas is imported only here)."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from typing import TYPE_CHECKING

from sqlalchemy import Float, Select, cast, select

from shared.db import get_engine
from shared.db.models import CreditLimit, Customer, Order, SerasaQuery

if TYPE_CHECKING:
    from shared.ml.frames import TenantHistory

_MONEY = (CreditLimit.limit, SerasaQuery.negative_amount, SerasaQuery.protests_amount, Order.amount)


def _columns(model, names: tuple[str, ...]) -> list:
    columns = []
    for name in names:
        column = getattr(model, name)
        # Floats for the models: Decimal objects per row would be slow and useless to scikit-learn.
        columns.append(cast(column, Float).label(name) if column in _MONEY else column)
    return columns


def _queries(tenant_id: uuid.UUID, customer_ids: Collection[str] | None) -> dict[str, Select]:
    from shared.ml.frames import CREDIT_LIMIT_COLUMNS, CUSTOMER_COLUMNS, ORDER_COLUMNS, SERASA_COLUMNS

    queries = {}
    for name, model, columns in (
        ("customers", Customer, CUSTOMER_COLUMNS),
        ("credit_limits", CreditLimit, CREDIT_LIMIT_COLUMNS),
        ("serasa_queries", SerasaQuery, SERASA_COLUMNS),
        ("orders", Order, ORDER_COLUMNS),
    ):
        query = select(*_columns(model, columns)).where(model.tenant_id == tenant_id)
        if customer_ids is not None:
            query = query.where(model.customer_id.in_(sorted(customer_ids)))
        queries[name] = query
    return queries


def load_history(tenant_id: uuid.UUID, customer_ids: Collection[str] | None = None) -> TenantHistory:
    """All of the tenant's data, or only the context of `customer_ids` (features are per customer)."""
    import pandas as pd

    from shared.ml.frames import TenantHistory

    with get_engine().connect() as connection:
        frames = {name: pd.read_sql(query, connection) for name, query in _queries(tenant_id, customer_ids).items()}
    return TenantHistory.from_frames(**frames)
