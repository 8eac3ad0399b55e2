"""GET /api/monitoring's use case on each database: decisions joined with outcomes give sklearn's
figures, buckets and versions are kept apart, another company's data never counts."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from shared.db import transaction
from shared.db.models import ModelVersion, Order, PredictionBatch, PredictionLog, TrainingJob, Upload
from shared.errors import NotFound
from shared.ml.metrics import ks_statistic
from shared.schemas.monitoring import MonitoringQuery
from shared.config import get_settings
from shared.schemas.uploads import UploadOpen
from shared.services import monitoring, uploads
from tests.integration.conftest import new_company

MONDAY = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def decide_and_label(principal, orders: int, seed: int, version: int = 1, day: int = 0, labeled_share: float = 0.8) -> dict:
    """Logs a request deciding `orders` orders on MONDAY + `day`, then labels most of them as a
    later upload would; the labels follow the probability, so the model ranks better than chance."""
    rng = np.random.default_rng(seed)
    probability = rng.uniform(0, 1, orders)
    invoiced = rng.uniform(0, 1, orders) < 0.2 + 0.6 * probability
    labeled = rng.uniform(0, 1, orders) < labeled_share
    decision = np.where(probability >= 0.7, "invoice", np.where(probability < 0.3, "hold", "review"))
    ids = [f"V{version}-D{day}-{seed}-{i}" for i in range(orders)]
    amount = np.round(rng.uniform(10, 1000, orders), 2)
    with transaction() as session:
        session.add(PredictionBatch(
            tenant_id=principal.tenant_id, model_version=version, policy_version=1, created_at=MONDAY + timedelta(days=day),
            decisions={"order_id": ids, "probability": probability.tolist(), "invoice": (decision == "invoice").tolist(),
                       "decision": decision.tolist(), "customer_id": ["C1"] * orders, "amount": amount.tolist()},
        ))
        session.add_all(
            Order(tenant_id=principal.tenant_id, order_id=order_id, customer_id="C1", upload_id=uuid.uuid4(),
                  ordered_at=MONDAY, amount=money, payment_term_days=0, invoiced=bool(label) if has else None)
            for order_id, money, label, has in zip(ids, amount.tolist(), invoiced, labeled, strict=True)
        )
    return {"probability": probability[labeled], "probability_all": probability, "invoiced": invoiced[labeled], "decision": decision[labeled],
            "all_decisions": decision, "amount": amount}


def register(principal, version: int, **values) -> None:
    """A model version row as training writes it (no artifact: these tests never score with it)."""
    with transaction() as session:
        upload = Upload(tenant_id=principal.tenant_id, status="committed")
        session.add(upload)
        session.flush()
        job = TrainingJob(tenant_id=principal.tenant_id, upload_id=upload.id, status="succeeded", model_version=version)
        session.add(job)
        session.flush()
        session.add(ModelVersion(**{
            "tenant_id": principal.tenant_id, "version": version, "training_job_id": job.id, "algorithm": "test",
            "threshold": 0.5, "metrics": {}, "leaderboard": [], "features": [], "row_counts": {}, "data_from": MONDAY,
            "data_to": MONDAY, "artifact_uri": "none", "sha256": "0" * 64, **values,
        }))


def ask(principal, **query):
    return monitoring.monitoring(principal, MonitoringQuery.model_validate(query))


def test_realized_figures_equal_sklearns_on_the_joined_decisions_and_outcomes(tenant):
    truth = decide_and_label(tenant, 3000, seed=1)
    other = new_company("Outra Ltda")
    decide_and_label(other, 500, seed=2)  # another company's decisions of the same day

    [version] = ask(tenant).versions
    [bucket] = version.buckets
    realized = bucket.realized
    y, p, decided = truth["invoiced"], truth["probability"], truth["decision"]
    assert bucket.count == 3000 and realized.outcomes == len(y) and realized.invoiced == int(y.sum())
    assert bucket.decisions.invoice == int((truth["all_decisions"] == "invoice").sum())
    assert realized.roc_auc.n == len(y)
    assert realized.roc_auc.value == pytest.approx(roc_auc_score(y, p), abs=0.002)
    assert realized.ks.value == pytest.approx(ks_statistic(y, p), abs=0.005)
    for figure, decision, outcome in (("invoice_precision", "invoice", True), ("hold_precision", "hold", False),
                                      ("review_invoiced", "review", True)):
        chosen = decided == decision
        assert getattr(realized, figure).n == int(chosen.sum())
        assert getattr(realized, figure).value == pytest.approx(float((y[chosen] == outcome).mean()))


def test_versions_and_buckets_are_kept_apart_and_small_samples_show_their_n(tenant):
    decide_and_label(tenant, 40, seed=3, version=1, day=0)
    decide_and_label(tenant, 10, seed=4, version=2, day=8, labeled_share=0.0)
    register(tenant, 1), register(tenant, 2)

    answer = ask(tenant, bucket="week")
    assert [v.model_version for v in answer.versions] == [1, 2]
    [unlabeled] = answer.versions[1].buckets
    assert unlabeled.count == 10 and unlabeled.realized.outcomes == 0
    assert unlabeled.realized.roc_auc.value is None and unlabeled.realized.roc_auc.n == 0
    assert [v.model_version for v in ask(tenant, model_version=1).versions] == [1]
    window = ask(tenant, **{"from": (MONDAY + timedelta(days=1)).isoformat()})
    assert [v.model_version for v in window.versions] == [2]


def test_another_companys_versions_are_not_found(tenant):
    other = new_company("Outra Ltda")
    register(other, 1)
    decide_and_label(other, 20, seed=5)
    with pytest.raises(NotFound):
        ask(tenant, model_version=1)
    assert ask(tenant).versions == []


def upload_labels(principal, orders: dict[str, bool], batch: int = 1) -> None:
    """Labels for decided orders, sent as a company sends them: an order batch of an upload."""
    items = [{"order_id": order_id, "customer_id": "C1", "ordered_at": MONDAY.isoformat(), "amount": 10.0,
              "invoiced": label} for order_id, label in orders.items()]
    upload = uploads.open_upload(principal, UploadOpen()).upload_id
    uploads.receive_batch(get_settings(), principal, upload, "orders", {"batch": batch, "items": items})


def test_labels_uploaded_after_the_decisions_become_their_outcomes_and_relabels_move_them(tenant):
    truth = decide_and_label(tenant, 400, seed=6, labeled_share=0.0)
    assert ask(tenant).versions[0].buckets[0].realized.outcomes == 0
    ids = [f"V1-D0-6-{i}" for i in range(400)]
    rng = np.random.default_rng(9)
    labels = {order_id: bool(label) for order_id, label in zip(ids, rng.uniform(0, 1, 400) < truth["probability_all"])}
    upload_labels(tenant, labels)

    def check() -> None:
        [bucket] = ask(tenant).versions[0].buckets
        y = np.array([labels[order_id] for order_id in ids])
        assert bucket.count == 400 and bucket.realized.outcomes == 400 and bucket.realized.invoiced == int(y.sum())
        assert bucket.realized.roc_auc.value == pytest.approx(roc_auc_score(y, truth["probability_all"]), abs=0.002)

    check()
    labels.update({order_id: not labels[order_id] for order_id in ids[:150]})  # the company corrects some
    upload_labels(tenant, {order_id: labels[order_id] for order_id in ids[:150]})
    check()
    check()  # taken in again: nothing moves twice


def test_decisions_logged_before_counting_existed_are_counted_by_the_first_query(tenant):
    """As the migration leaves a company: log rows and labeled orders, no counts, no mark."""
    rng = np.random.default_rng(11)
    probability = rng.uniform(0, 1, 300)
    invoiced = rng.uniform(0, 1, 300) < probability
    with transaction() as session:
        for i, (p, label) in enumerate(zip(probability.tolist(), invoiced.tolist(), strict=True)):
            session.add(PredictionLog(tenant_id=tenant.tenant_id, order_id=f"P{i}", model_version=1, probability=p,
                                      invoice=p >= 0.5, decision="invoice" if p >= 0.5 else "hold", created_at=MONDAY))
            session.add(Order(tenant_id=tenant.tenant_id, order_id=f"P{i}", customer_id="C1", upload_id=uuid.uuid4(),
                              ordered_at=MONDAY, amount=10, payment_term_days=0, invoiced=label))
    [bucket] = ask(tenant).versions[0].buckets
    assert bucket.count == 300 and bucket.realized.outcomes == 300
    assert bucket.realized.roc_auc.value == pytest.approx(roc_auc_score(invoiced, probability), abs=0.002)
    assert ask(tenant).versions[0].buckets == [bucket], "counted once"
