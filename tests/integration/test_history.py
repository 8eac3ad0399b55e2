"""Loading a tenant's data from each database: what was uploaded comes back in the frames' dtypes,
and a scoring context is exactly the full history's rows of the customers scored."""

from __future__ import annotations

import json

import pandas as pd

from shared.ml.features import CONTEXT_ORDER_COLUMNS, build_features
from shared.ml.frames import TenantHistory
from shared.sample_data import generate
from shared.services import history
from shared.services.history import load_context, load_history
from tests.integration.conftest import upload_sample

KEYS = {
    "customers": ["customer_id"],
    "credit_limits": ["customer_id", "valid_from"],
    "serasa_queries": ["customer_id", "queried_at"],
    "orders": ["order_id"],
}


def by_key(frame: pd.DataFrame, dataset: str) -> pd.DataFrame:
    """Sorted by the dataset's key, attributes as dicts (the database hands over their JSON text)."""
    if "attributes" in frame:
        frame = frame.assign(attributes=[json.loads(v) if isinstance(v, str) else v for v in frame["attributes"]])
    return frame.sort_values(KEYS[dataset]).reset_index(drop=True)


def test_the_history_comes_back_as_uploaded_and_a_context_is_its_customers_rows(tenant, monkeypatch):
    monkeypatch.setattr(history, "CHUNK_ROWS", 64)  # rows arrive in many chunks, as a big tenant's do
    upload_sample(tenant, orders=400, seed=8)
    uploaded = TenantHistory.from_tenant(generate(orders=400, seed=8))
    full = load_history(tenant.tenant_id)
    for dataset in KEYS:
        pd.testing.assert_frame_equal(by_key(getattr(full, dataset), dataset), by_key(getattr(uploaded, dataset), dataset))

    requests = uploaded.orders.iloc[-12:].drop(columns="invoiced")
    customers = set(requests["customer_id"]) | {"not-a-customer"}
    context = load_context(tenant.tenant_id, customers)
    expected = full.for_customers(customers)
    for dataset in ("customers", "credit_limits", "serasa_queries"):
        pd.testing.assert_frame_equal(by_key(getattr(context, dataset), dataset), by_key(getattr(expected, dataset), dataset))
    columns = list(CONTEXT_ORDER_COLUMNS)
    pd.testing.assert_frame_equal(by_key(context.orders[columns], "orders"), by_key(expected.orders[columns], "orders"))
    assert context.orders["attributes"].isna().all() and len(context.orders) < len(full.orders)

    scored = build_features(context, requests)
    pd.testing.assert_frame_equal(scored, build_features(full, requests)[scored.columns])
