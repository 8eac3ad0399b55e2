"""Predictions against stored models: the per-worker cache and activation (rollback)."""

import gc
from pathlib import Path

import pytest

from shared.config import get_settings
from shared.schemas.models import PredictionRequest
from shared.services import context_cache, model_loader, models, predictions, training
from tests.integration.conftest import upload_sample
from tests.integration.test_training import versions


@pytest.fixture
def two_models(tenant):
    for seed in (5, 6):
        training.run_job(get_settings(), upload_sample(tenant, orders=1000, seed=seed))
    return tenant


def request_for(orders: list[dict], version: int | None = None) -> PredictionRequest:
    return PredictionRequest.model_validate({"orders": orders, "model_version": version})


ORDERS = [
    {"order_id": f"N{i}", "customer_id": f"C{i:05d}", "ordered_at": "2026-01-05T10:00:00Z", "amount": 900.0 + 450 * i,
     "payment_term_days": 30}
    for i in range(8)
]


def test_activation_decides_which_model_answers(two_models):
    settings = get_settings()
    by_version = {
        v: [p["probability"] for p in predictions.predict(settings, two_models, request_for(ORDERS, v)).predictions]
        for v in (1, 2)
    }
    assert by_version[1] != by_version[2]
    for version in (1, 2, 1):
        models.activate(two_models, version)
        answer = predictions.predict(settings, two_models, request_for(ORDERS))
        assert answer.model_version == version
        assert [p["probability"] for p in answer.predictions] == pytest.approx(by_version[version])
    assert [v.active for v in versions(two_models)] == [True, False]


def test_a_warm_prediction_never_reads_the_artifact_again(tenant):
    training.run_job(get_settings(), upload_sample(tenant, orders=1000))
    [model] = versions(tenant)
    first = predictions.predict(get_settings(), tenant, request_for(ORDERS))
    artifact = Path(model.artifact_uri.removeprefix("file://"))
    artifact.rename(artifact.with_suffix(".moved"))
    again = predictions.predict(get_settings(), tenant, request_for(ORDERS))
    assert [p["probability"] for p in again.predictions] == [p["probability"] for p in first.predictions]

    model_loader.forget_tenant(tenant.tenant_id)  # what activation does: the next call loads afresh
    with pytest.raises(Exception, match="not found|No such|missing"):
        predictions.predict(get_settings(), tenant, request_for(ORDERS))


def test_a_model_and_context_leave_the_caches_without_reference_cycles(tenant):
    """A loaded model is frozen for the garbage collector (`model_loader`): had it or a cached
    context any reference cycle, dropping them from the caches would leak it for good."""
    training.run_job(get_settings(), upload_sample(tenant, orders=1000))
    orders = [{**order, "order_id": f"{order['order_id']}-{k}"} for k in range(10) for order in ORDERS]
    predictions.predict(get_settings(), tenant, request_for(orders))  # 80 orders: both threads explain
    assert gc.get_freeze_count() > 0
    gc.unfreeze()
    gc.collect()
    model_loader.forget_tenant(tenant.tenant_id)
    context_cache._entries.cache_clear()
    assert gc.collect() == 0
