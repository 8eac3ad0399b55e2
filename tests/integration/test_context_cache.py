"""The per-worker context cache on each database: a warm context reads no stored rows, gives
exactly the features a fresh load gives, and a new batch is seen by the very next request,
whether the tenant was loaded whole or customer by customer, by reading only the rows the batch
wrote; its sizes are settings."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import event, func, insert, select, update

from shared.config import get_settings
from shared.db import get_engine, transaction
from shared.db.models import Order, UploadBatch
from shared.db.types import utcnow
from shared.ml.features import HistoryIndex, build_features
from shared.ml.frames import normalise_orders
from shared.sample_data import generate
from shared.schemas.uploads import UploadOpen
from shared.services import context_cache, uploads
from shared.services.history import load_context
from tests.integration.conftest import upload_sample

TABLES = ("customers", "credit_limits", "serasa_queries", "orders")
REPO = Path(__file__).resolve().parents[2]


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


def send(tenant, dataset: str, items: list[dict]) -> None:
    upload = uploads.open_upload(tenant, UploadOpen()).upload_id
    uploads.receive_batch(get_settings(), tenant, upload, dataset, {"batch": 1, "items": items})


def changes(sample) -> list[tuple[str, list[dict]]]:
    """Batches of all four datasets, each inserting and updating (an order even moves to another
    customer), for a new customer and for stored ones."""
    first, second = sorted(set(sample.orders["customer_id"]))[:2]
    limit = next(row for row in sample.records("credit_limits") if row["customer_id"] == first)
    query = next(row for row in sample.records("serasa_queries") if row["customer_id"] == second)
    stored = [row for row in sample.records("orders") if row["customer_id"] == first][:2]
    last = sample.orders["ordered_at"].max()
    return [
        ("customers", [
            {"customer_id": first, "segment": "industria", "state": "RS", "customer_since": "2020-02-02",
             "attributes": {"sector": "agro", "branches": 3}},
            {"customer_id": "C-new", "segment": "varejo", "state": "SP", "attributes": {"employees": 7}},
        ]),
        ("credit_limits", [
            {**limit, "limit": limit["limit"] + 5000},
            {"customer_id": "C-new", "limit": 9000.0, "valid_from": "2024-01-01"},
            {"customer_id": second, "limit": 1.0, "valid_from": (last - timedelta(days=3)).date().isoformat()},
        ]),
        ("serasa_queries", [
            {**query, "score": 111, "attributes": {"inquiries_90d": 9}},
            {**query, "customer_id": "C-new", "score": 700},
        ]),
        ("orders", [
            {**stored[0], "amount": stored[0]["amount"] + 1000, "invoiced": not stored[0].get("invoiced", True)},
            {**stored[1], "customer_id": "C-new"},
            {"order_id": "late-1", "customer_id": second, "ordered_at": (last - timedelta(days=2)).isoformat(),
             "amount": 777.0, "payment_term_days": 30, "invoiced": True},
        ]),
    ]


def every_customer(sample) -> pd.DataFrame:
    """An order of each customer (a new one and one nobody knows too) before the data ends, at
    its end and after it, and the stored orders themselves: every point-in-time branch."""
    customers = sorted(set(sample.orders["customer_id"]) | {"C-new", "nobody"})
    last = sample.orders["ordered_at"].max()
    rows = [
        {"order_id": f"at-{n}-{customer}", "customer_id": customer, "ordered_at": last + timedelta(days=days), "amount": 100.0}
        for n, days in enumerate((-60, 0, 1))
        for customer in customers
    ]
    return normalise_orders(rows + list(sample.records("orders")))


def assert_a_full_rebuild_gives(index: HistoryIndex, tenant_id, requests: pd.DataFrame) -> None:
    expected = HistoryIndex(load_context(tenant_id)).features(requests)
    pd.testing.assert_frame_equal(index.features(requests)[expected.columns], expected, check_exact=True)


@pytest.mark.parametrize("whole_tenant_rows", [200_000, 0])
def test_batches_are_taken_in_exactly_as_a_full_rebuild_reads_them(tenant, sample, monkeypatch, whole_tenant_rows):
    configure(monkeypatch, CONTEXT_WHOLE_TENANT_ROWS=whole_tenant_rows)
    requests = every_customer(sample)
    customers = set(requests["customer_id"])
    context_cache.context_for(tenant.tenant_id, customers)
    for dataset, items in changes(sample):
        send(tenant, dataset, items)
        with statements() as seen:
            index = context_cache.context_for(tenant.tenant_id, customers)
        assert data_reads(seen) and all(" IN (" in sql for sql in data_reads(seen))  # never the whole tenant
        assert_a_full_rebuild_gives(index, tenant.tenant_id, requests)


def test_a_batch_costs_the_next_prediction_the_rows_it_wrote(tenant, sample):
    """Kept whole, the tenant is not read again: only the batch's own rows, by their keys."""
    customers = set(sample.orders["customer_id"])
    context_cache.context_for(tenant.tenant_id, customers)
    for dataset, items in changes(sample):
        send(tenant, dataset, items)
        with statements() as seen:
            context_cache.context_for(tenant.tenant_id, customers)
        key = "order_id" if dataset == "orders" else "customer_id"
        (read,) = data_reads(seen)
        assert f"FROM {dataset}" in read and f"{key} IN (" in read


def test_batches_that_recorded_no_keys_reload_the_tenant(tenant, sample):
    """Batches stored before their keys were recorded."""
    requests = every_customer(sample)
    customers = set(requests["customer_id"])
    context_cache.context_for(tenant.tenant_id, customers)
    dataset, items = changes(sample)[-1]
    send(tenant, dataset, items)
    with transaction() as session:
        session.execute(update(UploadBatch).values(written_keys=None))
    with statements() as seen:
        index = context_cache.context_for(tenant.tenant_id, customers)
    assert len(data_reads(seen)) == len(TABLES) and not any(" IN (" in sql for sql in data_reads(seen))
    assert_a_full_rebuild_gives(index, tenant.tenant_id, requests)


def test_concurrent_requests_after_a_batch_read_its_rows_once(tenant, sample):
    customers = set(sample.orders["customer_id"])
    context_cache.context_for(tenant.tenant_id, customers)
    dataset, items = changes(sample)[-1]
    send(tenant, dataset, items)
    start = threading.Barrier(8)

    def predict() -> HistoryIndex:
        start.wait()
        return context_cache.context_for(tenant.tenant_id, customers)

    with statements() as seen, ThreadPoolExecutor(8) as pool:
        indexes = list(pool.map(lambda _: predict(), range(8)))
    assert len(data_reads(seen)) == 1 and len({id(index) for index in indexes}) == 1


def test_a_batch_another_worker_writes_is_seen_by_the_next_context(tenant, sample):
    """The other worker is another process: what tells this one is the database."""
    customer = sample.orders["customer_id"].iloc[-1]
    requests = requests_of(sample, {customer})
    before = context_cache.context_for(tenant.tenant_id, {customer}).features(requests)
    order = {"order_id": "late-1", "customer_id": customer, "ordered_at": sample.orders["ordered_at"].max().isoformat(),
             "amount": 1234.5, "invoiced": True}
    worker = (
        "import sys, json, uuid\n"
        "from tests.integration.test_context_cache import send\n"
        "from shared.security import Principal\n"
        "send(Principal(tenant_id=uuid.UUID(sys.argv[1])), 'orders', [json.loads(sys.argv[2])])\n"
    )
    subprocess.run([sys.executable, "-c", worker, str(tenant.tenant_id), json.dumps(order)], cwd=REPO, check=True, timeout=120)

    after = context_cache.context_for(tenant.tenant_id, {customer}).features(requests)
    assert after.loc[f"new-{customer}", "prior_orders"] == before.loc[f"new-{customer}", "prior_orders"] + 1


def test_a_batch_committed_below_the_batches_only_counted_is_seen(tenant, sample):
    """Batches older than SETTLED are counted, no longer listed; one that commits below them after
    all (its transaction open that long) makes the next context read the tenant again."""
    customer = sample.orders["customer_id"].iloc[-1]
    requests = requests_of(sample, {customer})
    with transaction() as session:
        last = session.scalar(select(func.max(UploadBatch.id)))
        upload = session.scalar(select(UploadBatch.upload_id).where(UploadBatch.id == last))
        session.add(UploadBatch(id=last + 10, upload_id=upload, dataset="orders", batch=10_000, digest="0" * 64,
                                received=0, inserted=0, updated=0, written_keys=[]))
        session.flush()
        session.execute(update(UploadBatch).values(created_at=utcnow() - 2 * context_cache.SETTLED))
    before = context_cache.context_for(tenant.tenant_id, {customer}).features(requests)
    counted = context_cache._entries(get_settings().context_cache_rows)[tenant.tenant_id].batches
    assert counted.floor == last + 10 and not counted.recent  # none listed

    with transaction() as session:
        session.execute(insert(Order), [{
            "tenant_id": tenant.tenant_id, "order_id": "straggler", "customer_id": customer, "upload_id": upload,
            "ordered_at": sample.orders["ordered_at"].max(), "amount": 10, "payment_term_days": 0, "invoiced": True,
        }])
        session.add(UploadBatch(id=last + 5, upload_id=upload, dataset="orders", batch=10_001, digest="1" * 64,
                                received=1, inserted=1, updated=0, written_keys=["straggler"]))
    with statements() as seen:
        after = context_cache.context_for(tenant.tenant_id, {customer}).features(requests)
    assert len(data_reads(seen)) == len(TABLES) and not any(" IN (" in sql for sql in data_reads(seen))
    assert after.loc[f"new-{customer}", "prior_orders"] == before.loc[f"new-{customer}", "prior_orders"] + 1
