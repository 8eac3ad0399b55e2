"""The per-worker context cache on each database: a warm context reads no stored rows, is exactly
what a fresh load reads, and a new batch is seen by the very next request, whether the tenant
was loaded whole or customer by customer."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pandas as pd
import pytest
from sqlalchemy import event

from shared.config import get_settings
from shared.db import get_engine
from shared.ml.frames import TenantHistory
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


def assert_same_rows(got: TenantHistory, expected: TenantHistory) -> None:
    for mine, theirs in zip(got.frames, expected.frames):
        keys = [column for column in ("customer_id", "order_id", "valid_from", "queried_at") if column in mine]
        pd.testing.assert_frame_equal(
            mine.sort_values(keys).reset_index(drop=True), theirs.sort_values(keys).reset_index(drop=True)
        )


@pytest.fixture
def sample(tenant):
    upload_sample(tenant, orders=300, seed=4)
    return generate(orders=300, seed=4)


def test_a_small_tenant_is_loaded_whole_once_and_every_customer_is_then_a_hit(tenant, sample):
    customers = sorted(set(sample.orders["customer_id"]))
    first, others = {*customers[:5], "nobody"}, set(customers[5:9])

    with statements() as seen:
        cold = context_cache.context_for(tenant.tenant_id, first)
    assert len(data_reads(seen)) == len(TABLES) and not any(" IN (" in sql for sql in data_reads(seen))
    assert_same_rows(cold, load_context(tenant.tenant_id, first))

    with statements() as seen:
        warm = context_cache.context_for(tenant.tenant_id, others)
    assert data_reads(seen) == [] and any("FROM upload_batches" in sql for sql in seen)  # the data version only
    assert_same_rows(warm, load_context(tenant.tenant_id, others))


def test_a_large_tenant_is_loaded_customer_by_customer(tenant, sample, monkeypatch):
    monkeypatch.setattr(context_cache, "WHOLE_TENANT_ROWS", 100)  # the sample brings ~450 items
    customers = sorted(set(sample.orders["customer_id"]))
    first, more = {*customers[:5], "nobody"}, set(customers[:8])

    with statements() as seen:
        cold = context_cache.context_for(tenant.tenant_id, first)
    assert len(data_reads(seen)) == len(TABLES) and all(" IN (" in sql for sql in data_reads(seen))
    assert_same_rows(cold, load_context(tenant.tenant_id, first))
    assert set(cold.customers["customer_id"]) == first - {"nobody"}

    with statements() as seen:
        warm = context_cache.context_for(tenant.tenant_id, first)
    assert data_reads(seen) == []
    assert_same_rows(warm, cold)

    with statements() as seen:
        wider = context_cache.context_for(tenant.tenant_id, more)
    assert len(data_reads(seen)) == len(TABLES)
    assert_same_rows(wider, load_context(tenant.tenant_id, more))
    assert len(wider.orders) > len(cold.orders)


@pytest.mark.parametrize("whole_tenant_rows", [context_cache.WHOLE_TENANT_ROWS, 0])
def test_a_new_batch_is_seen_by_the_next_context(tenant, sample, monkeypatch, whole_tenant_rows):
    monkeypatch.setattr(context_cache, "WHOLE_TENANT_ROWS", whole_tenant_rows)
    customer = sample.orders["customer_id"].iloc[-1]
    before = context_cache.context_for(tenant.tenant_id, {customer})
    last = before.orders["ordered_at"].max()

    upload = uploads.open_upload(tenant, UploadOpen()).upload_id
    order = {"order_id": "late-1", "customer_id": customer, "ordered_at": (last + timedelta(days=1)).isoformat(),
             "amount": "1234.50", "invoiced": True}
    uploads.receive_batch(get_settings(), tenant, upload, "orders", {"batch": 1, "items": [order]})

    after = context_cache.context_for(tenant.tenant_id, {customer})
    assert len(after.orders) == len(before.orders) + 1
    assert "late-1" in set(after.orders["order_id"])
    assert_same_rows(after, load_context(tenant.tenant_id, {customer}))
