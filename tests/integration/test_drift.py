"""Drift on each database, through the real paths: training stores the reference histograms,
predictions count into per-day counters, and a shifted stream (amounts x5, Serasa scores -200)
drifts those features; with `on_drift` the timer then queues one training with reason `drift`."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from shared.config import get_settings
from shared.db import transaction
from shared.db.models import DriftCount, ModelVersion, WebhookDelivery
from shared.db.types import utcnow
from shared.sample_data import generate
from shared.schemas.monitoring import MonitoringQuery, RetrainingRule
from shared.schemas.uploads import UploadOpen
from shared.schemas.webhooks import WebhookCreate
from shared.services import monitoring, predictions, retraining, training, uploads, webhooks
from tests.integration.conftest import new_company, upload_sample
from tests.integration.test_predictions import request_for
from tests.integration.test_retraining import jobs


@pytest.fixture
def drift_hook(tenant, monkeypatch) -> uuid.UUID:
    """The company's webhook for `drift.detected`, to a local receiver (allowed, as in development)."""
    monkeypatch.setenv("WEBHOOKS_ALLOW_PRIVATE", "true")
    get_settings.cache_clear()
    request = WebhookCreate(url="http://127.0.0.1:9/drift", events=["drift.detected"])
    return webhooks.register(get_settings(), tenant, request).id


def drift_events(webhook_id: uuid.UUID) -> list[dict]:
    """The events queued for the webhook's delivery timer."""
    with transaction() as session:
        return list(session.scalars(select(WebhookDelivery.event).where(WebhookDelivery.webhook_id == webhook_id)))

SEED, ORDERS = 5, 600


def stream(prefix: str, amount_factor: float = 1.0, ordered_at: str | None = None) -> list[dict]:
    """The sample's last 500 orders again, under new ids and unlabeled."""
    orders = [order for batch in generate(orders=ORDERS, seed=SEED).batches("orders") for order in batch][-500:]
    return [
        {key: value for key, value in order.items() if key != "invoiced"}
        | {"order_id": f"{prefix}{order['order_id']}", "amount": round(order["amount"] * amount_factor, 2)}
        | ({"ordered_at": ordered_at} if ordered_at else {})
        for order in orders
    ]


def lower_serasa_scores(principal, by: int, queried_at: str) -> None:
    """A new Serasa query per customer, `by` points lower than its latest one."""
    latest = {}
    for query in generate(orders=ORDERS, seed=SEED).records("serasa_queries"):
        latest[query["customer_id"]] = query
    items = [query | {"queried_at": queried_at, "score": max(0, query.get("score", 500) - by)} for query in latest.values()]
    upload = uploads.open_upload(principal, UploadOpen()).upload_id
    for number, start in enumerate(range(0, len(items), 500), start=1):
        uploads.receive_batch(get_settings(), principal, upload, "serasa_queries", {"batch": number, "items": items[start:start + 500]})
    uploads.commit_upload(get_settings(), principal, upload, train=False)


def drift_of(principal) -> dict[str, float]:
    [version] = monitoring.monitoring(principal, MonitoringQuery()).versions
    return {drift.feature: drift.psi for drift in [version.score_drift, *version.feature_drift]} | {
        "n": version.score_drift.n, "order": [drift.psi for drift in version.feature_drift]}


def test_a_shifted_stream_drifts_amount_and_serasa_score_and_the_rule_queues_training(tenant, drift_hook):
    training.run_job(get_settings(), upload_sample(tenant, orders=ORDERS, seed=SEED))
    with transaction() as session:
        reference = session.scalar(select(ModelVersion.drift_reference).where(ModelVersion.tenant_id == tenant.tenant_id))
    assert {"amount", "serasa_score", "score"} <= set(reference["counts"])
    other = new_company("Outra Ltda")

    predictions.predict(get_settings(), tenant, request_for(stream("N")))
    calm = drift_of(tenant)
    assert calm["n"] == 500 and calm["amount"] < 0.1 and calm["serasa_score"] < 0.1
    assert calm["order"] == sorted(calm["order"], reverse=True), "features by PSI, highest first"
    assert retraining.apply_rules(get_settings()) == {}

    now = utcnow()
    lower_serasa_scores(tenant, by=200, queried_at=(now - timedelta(days=2)).isoformat())
    for number in range(2):  # twice the calm stream, so the window's mix is mostly shifted
        later = request_for(stream(f"S{number}", 5.0, (now - timedelta(days=1)).isoformat()))
        predictions.predict(get_settings(), tenant, later)
    shifted = drift_of(tenant)
    assert shifted["n"] == 1500 and shifted["amount"] >= 0.25 and shifted["serasa_score"] >= 0.25

    retraining.put_rule(tenant, RetrainingRule(on_drift=True))
    assert retraining.apply_rules(get_settings()) == {tenant.tenant_id: "drift"}
    assert retraining.apply_rules(get_settings()) == {}, "once per active model version"
    [event] = drift_events(drift_hook)
    data = event["data"]
    assert data["model_version"] == 1
    assert {"amount", "serasa_score"} <= {drift["feature"] for drift in data["features"]}
    assert [job.reason for job in jobs(tenant)] == ["commit", "drift"]
    assert monitoring.monitoring(other, MonitoringQuery()).versions == []
    with transaction() as session:  # counters, not orders: bounded by features x bins per day
        counters = session.scalar(select(func.count()).select_from(DriftCount).where(DriftCount.tenant_id == tenant.tenant_id))
    assert counters <= sum(len(counts) for counts in reference["counts"].values())


def test_drift_is_announced_without_a_rule_but_queues_nothing(tenant, drift_hook):
    training.run_job(get_settings(), upload_sample(tenant, orders=ORDERS, seed=SEED))
    now = utcnow()
    lower_serasa_scores(tenant, by=200, queried_at=(now - timedelta(days=2)).isoformat())
    predictions.predict(get_settings(), tenant, request_for(stream("S", 5.0, (now - timedelta(days=1)).isoformat())))
    monitoring.monitoring(tenant, MonitoringQuery())  # indexes the batch into the counters
    assert retraining.apply_rules(get_settings()) == {} and retraining.apply_rules(get_settings()) == {}
    assert len(drift_events(drift_hook)) == 1
    assert retraining.get_rule(tenant).updated_at is None, "still the default rule"
