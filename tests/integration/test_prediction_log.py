"""The decision log on each database: a request appends one batch; its decisions reach the
per-order log before any history query reads them, each exactly once, whoever moves them."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from sqlalchemy import func, select

from shared.config import get_settings
from shared.db import reading, transaction
from shared.db.models import PredictionBatch, PredictionLog, Tenant
from shared.db.types import utcnow
from shared.schemas.models import PredictionHistoryQuery
from shared.security import Principal
from shared.services import decision_history, predictions, training
from tests.integration.conftest import upload_sample
from tests.integration.test_predictions import ORDERS, request_for


def count(model, principal: Principal) -> int:
    with transaction() as session:
        return session.scalar(select(func.count()).select_from(model).where(model.tenant_id == principal.tenant_id))


def test_a_request_appends_one_batch_and_the_history_still_sees_every_decision(tenant):
    training.run_job(get_settings(), upload_sample(tenant, orders=600, seed=5))
    first = predictions.predict(get_settings(), tenant, request_for(ORDERS))
    second = predictions.predict(get_settings(), tenant, request_for(ORDERS[1:3]))
    assert count(PredictionBatch, tenant) == 2 and count(PredictionLog, tenant) == 0

    history = decision_history.history(tenant, PredictionHistoryQuery(order_id="N1")).items
    assert [item.probability for item in history] == [
        second.predictions[0]["probability"], first.predictions[1]["probability"]
    ], "newest first"
    assert {item.model_version for item in history} == {first.model_version}
    assert count(PredictionBatch, tenant) == 0 and count(PredictionLog, tenant) == len(ORDERS) + 2
    everything = decision_history.history(tenant, PredictionHistoryQuery(limit=1000)).items
    assert sorted(item.order_id for item in everything) == sorted(["N1", "N2", *(o["order_id"] for o in ORDERS)])


def logged_batches(principal: Principal, batches: int, size: int) -> None:
    with transaction() as session:
        session.add_all(
            PredictionBatch(
                tenant_id=principal.tenant_id, model_version=1, created_at=utcnow() + timedelta(seconds=number),
                decisions={"order_id": [f"O{number}-{i}" for i in range(size)], "probability": [0.25] * size,
                           "invoice": [number % 2 == 0] * size},
            )
            for number in range(batches)
        )


def test_runs_for_one_tenant_and_for_all_at_once_move_each_decision_exactly_once(tenant, monkeypatch):
    monkeypatch.setattr(predictions, "INDEXED_PER_TRANSACTION", 3)  # many transactions, so runs interleave
    with transaction() as session:
        other = Tenant(company="Outra Ltda")
        session.add(other)
        session.flush()
        other = Principal(tenant_id=other.id)
    logged_batches(tenant, batches=40, size=7)
    logged_batches(other, batches=25, size=5)
    with transaction() as session:  # earlier tests' tenants may have left batches too
        pending = sum(len(decisions["order_id"]) for decisions in session.scalars(select(PredictionBatch.decisions)))

    runs = [None, tenant.tenant_id, None, other.tenant_id, tenant.tenant_id, None]
    with ThreadPoolExecutor(len(runs)) as pool:
        moved = sum(pool.map(predictions.index_decisions, runs))

    assert moved == pending >= 40 * 7 + 25 * 5
    assert count(PredictionBatch, tenant) == count(PredictionBatch, other) == 0
    assert count(PredictionLog, tenant) == 40 * 7 and count(PredictionLog, other) == 25 * 5
    newest = decision_history.history(tenant, PredictionHistoryQuery(limit=7)).items
    assert {item.order_id for item in newest} == {f"O39-{i}" for i in range(7)}
    assert not any(item.invoice for item in newest)


def test_the_timer_lets_a_prediction_log_its_decisions_between_its_transactions(tenant, monkeypatch):
    """On SQLite a writer that finds the lock taken retries after sleeping; a timer that took the
    lock straight back made a prediction's log write wait until the whole backlog was indexed."""
    monkeypatch.setattr(predictions, "INDEXED_PER_TRANSACTION", 2)
    logged_batches(tenant, batches=40, size=500)  # 20 transactions
    indexed = select(func.count()).select_from(PredictionLog).where(PredictionLog.tenant_id == tenant.tenant_id)
    with ThreadPoolExecutor(1) as pool:
        indexing = pool.submit(predictions.index_decisions)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with reading() as connection:
                if connection.scalar(indexed):
                    break  # the first transaction is in; the next one is under way or about to be
            time.sleep(0.005)
        logged_batches(tenant, batches=1, size=1)  # a prediction request's write
        assert not indexing.done(), "the write waited for the whole backlog"
        indexing.result()
    assert count(PredictionLog, tenant) == 40 * 500 + 1
