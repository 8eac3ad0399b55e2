"""The per-worker context cache on each database: a warm context reads no stored rows, gives
exactly the features a fresh load gives, and a new batch is seen by the very next request,
whether the tenant was loaded whole or customer by customer; its sizes are settings."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pandas as pd
import pytest
from sqlalchemy import event

from shared.config import get_settings
from shared.db import get_engine
from shared.ml.features import HistoryIndex, build_features
from shared.ml.frames import normalise_orders
from shared.sample_data import generate
from shared.schemas.uploads import UploadOpen
from shared.services import context_cache, uploads
from shared.services.history import load_context
from tests.integration.conftest import upload_sample

TABLES = ("customers", "credit_limits", "serasa_queries", "orders")


@contextmanager
def statements() -> Iterator[list[str]]:
    """The SQL the engine runs meanwhile."""
    seen: list[str] = []

    def record(_connection, _cursor, statement, *_):
        seen.append(statement)

    engine = get_engine()
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def data_reads(seen: list[str]) -> list[str]:
    return [sql for sql in seen if any(f"FROM {table}" in sql for table in TABLES)]


def configure(monkeypatch, **settings: int) -> None:
    for name, value in settings.items():
        monkeypatch.setenv(name, str(value))
    get_settings.cache_clear()


@pytest.fixture
def sample(tenant):
    upload_sample(tenant, orders=300, seed=4)
    return generate(orders=300, seed=4)


def requests_of(sample, customers: set[str]) -> pd.DataFrame:
    """Orders of these customers (and of one nobody knows), placed a day after the last stored one."""
    last = sample.orders["ordered_at"].max()
    rows = [
        {"order_id": f"new-{customer}", "customer_id": customer, "ordered_at": last + timedelta(days=1), "amount": 100.0}
        for customer in sorted(customers | {"nobody"})
    ]
    return normalise_orders(rows)


def assert_features_of_a_fresh_load(index: HistoryIndex, tenant_id, requests: pd.DataFrame) -> pd.DataFrame:
    """An index may know more customers (and so attribute columns) than asked for; on the
    features a fresh load of just the request's customers has, it must agree, and be blank on the rest."""
    got = index.features(requests)
    expected = build_features(load_context(tenant_id, set(requests["customer_id"])), requests)
    pd.testing.assert_frame_equal(got[expected.columns], expected, check_dtype=False)
    assert got.drop(columns=expected.columns).isna().all().all()
    return got


def test_a_small_tenant_is_loaded_whole_once_and_every_customer_is_then_a_hit(tenant, sample):
    customers = sorted(set(sample.orders["customer_id"]))
    first, others = set(customers[:5]), set(customers[5:9])

    with statements() as seen:
        cold = context_cache.context_for(tenant.tenant_id, first | {"nobody"})
    assert len(data_reads(seen)) == len(TABLES) and not any(" IN (" in sql for sql in data_reads(seen))
    assert_features_of_a_fresh_load(cold, tenant.tenant_id, requests_of(sample, first))

    with statements() as seen:
        warm = context_cache.context_for(tenant.tenant_id, others)
    assert data_reads(seen) == [] and any("FROM upload_batches" in sql for sql in seen)  # the data version only
    assert warm is cold
    assert_features_of_a_fresh_load(warm, tenant.tenant_id, requests_of(sample, others))
    assert warm.has_customers(["nobody", customers[0]]) == [False, True]


def test_a_large_tenant_is_loaded_customer_by_customer(tenant, sample, monkeypatch):
    configure(monkeypatch, CONTEXT_WHOLE_TENANT_ROWS=100)  # the sample brings ~450 items
    customers = sorted(set(sample.orders["customer_id"]))
    first, more = set(customers[:5]), set(customers[:8])

    with statements() as seen:
        cold = context_cache.context_for(tenant.tenant_id, first | {"nobody"})
    assert len(data_reads(seen)) == len(TABLES) and all(" IN (" in sql for sql in data_reads(seen))
    assert_features_of_a_fresh_load(cold, tenant.tenant_id, requests_of(sample, first))
    assert all(cold.has_customers(sorted(first))) and cold.has_customers([customers[6]]) == [False]

    with statements() as seen:
        warm = context_cache.context_for(tenant.tenant_id, first)
    assert data_reads(seen) == []
    assert_features_of_a_fresh_load(warm, tenant.tenant_id, requests_of(sample, first))

    with statements() as seen:
        wider = context_cache.context_for(tenant.tenant_id, more)
    assert len(data_reads(seen)) == len(TABLES)
    assert_features_of_a_fresh_load(wider, tenant.tenant_id, requests_of(sample, more))
    assert wider.rows > cold.rows


@pytest.mark.parametrize("whole_tenant_rows", [200_000, 0])
def test_a_new_batch_is_seen_by_the_next_context(tenant, sample, monkeypatch, whole_tenant_rows):
    configure(monkeypatch, CONTEXT_WHOLE_TENANT_ROWS=whole_tenant_rows)
    customer = sample.orders["customer_id"].iloc[-1]
    requests = requests_of(sample, {customer})
    before = context_cache.context_for(tenant.tenant_id, {customer}).features(requests)

    upload = uploads.open_upload(tenant, UploadOpen()).upload_id
    order = {"order_id": "late-1", "customer_id": customer, "ordered_at": sample.orders["ordered_at"].max().isoformat(),
             "amount": "1234.50", "invoiced": True}
    uploads.receive_batch(get_settings(), tenant, upload, "orders", {"batch": 1, "items": [order]})

    after = assert_features_of_a_fresh_load(context_cache.context_for(tenant.tenant_id, {customer}), tenant.tenant_id, requests)
    assert after.loc[f"new-{customer}", "prior_orders"] == before.loc[f"new-{customer}", "prior_orders"] + 1


def test_a_context_larger_than_the_whole_cache_is_served_but_not_kept(tenant, sample, monkeypatch):
    configure(monkeypatch, CONTEXT_CACHE_ROWS=100)  # the sample brings ~450 items
    customers = set(sample.orders["customer_id"].iloc[:3])
    for _ in range(2):
        with statements() as seen:
            index = context_cache.context_for(tenant.tenant_id, customers)
        assert len(data_reads(seen)) == len(TABLES)  # read again: nothing was kept
        assert_features_of_a_fresh_load(index, tenant.tenant_id, requests_of(sample, customers))
