"""The retraining rule on each database: each trigger queues one job per occasion, by hand too,
and `auto_activate` decides whether training's new model takes over."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from shared.config import get_settings
from shared.db import transaction
from shared.db.models import ModelVersion, Order, TrainingJob, Upload
from shared.db.types import utcnow
from shared.errors import Conflict
from shared.schemas.monitoring import RetrainingRule
from shared.services import retraining, training
from tests.integration.conftest import new_company, upload_sample
from tests.integration.test_monitoring import MONDAY, register


def committed_upload(principal) -> uuid.UUID:
    with transaction() as session:
        upload = Upload(tenant_id=principal.tenant_id, status="committed", committed_at=utcnow())
        session.add(upload)
        session.flush()
        return upload.id


def label_orders(principal, count: int, start: int) -> None:
    with transaction() as session:
        session.add_all(
            Order(tenant_id=principal.tenant_id, order_id=f"L{number}", customer_id="C1", upload_id=uuid.uuid4(),
                  ordered_at=MONDAY, amount=10, payment_term_days=0, invoiced=number % 2 == 0)
            for number in range(start, start + count)
        )


def jobs(principal, reason: str | None = None) -> list[TrainingJob]:
    with transaction() as session:
        query = select(TrainingJob).where(TrainingJob.tenant_id == principal.tenant_id).order_by(TrainingJob.created_at)
        return [job for job in session.scalars(query) if reason is None or job.reason == reason]


def finish_jobs(principal) -> None:
    with transaction() as session:
        session.execute(update(TrainingJob).where(TrainingJob.tenant_id == principal.tenant_id).values(status="failed"))


def put_rule(principal, **rule):
    return retraining.put_rule(principal, RetrainingRule.model_validate(rule))


def test_min_new_labeled_queues_once_per_threshold_crossing(tenant):
    committed_upload(tenant)
    register(tenant, 1, active=True, row_counts={"labeled": 100})
    label_orders(tenant, 120, start=0)  # 20 more than the active model trained on
    other = new_company("Outra Ltda")
    label_orders(other, 500, start=0)  # another company's labels never count
    put_rule(tenant, min_new_labeled=50)
    apply = lambda: retraining.apply_rules(get_settings()).get(tenant.tenant_id)  # noqa: E731

    assert apply() is None
    label_orders(tenant, 30, start=120)  # 150: 50 new
    assert apply() == "new_labels"
    assert apply() is None and len(jobs(tenant, "new_labels")) == 1, "once per crossing"
    finish_jobs(tenant)  # a model that is not activated (or a failed run) leaves the baseline where it was
    label_orders(tenant, 49, start=150)
    assert apply() is None
    label_orders(tenant, 1, start=199)  # 50 more since the last job
    assert apply() == "new_labels" and len(jobs(tenant, "new_labels")) == 2
    assert jobs(other) == []


def test_max_model_age_queues_once_per_active_version(tenant):
    committed_upload(tenant)
    register(tenant, 1, active=True, created_at=utcnow() - timedelta(days=8))
    put_rule(tenant, max_model_age_days=9)
    assert retraining.apply_rules(get_settings()) == {}
    put_rule(tenant, max_model_age_days=7)
    assert retraining.apply_rules(get_settings()) == {tenant.tenant_id: "age"}
    finish_jobs(tenant)
    assert retraining.apply_rules(get_settings()) == {} and len(jobs(tenant, "age")) == 1


def test_the_rule_reads_back_per_company(tenant):
    assert retraining.get_rule(tenant).model_dump() == {
        "min_new_labeled": None, "max_model_age_days": None, "on_drift": False, "auto_activate": "if_better",
        "updated_at": None,
    }
    saved = put_rule(tenant, min_new_labeled=500, on_drift=True, auto_activate="never")
    assert retraining.get_rule(tenant) == saved and saved.updated_at is not None
    assert retraining.get_rule(new_company("Outra Ltda")).updated_at is None


def test_a_training_started_by_hand_is_queued_once(tenant):
    with pytest.raises(Conflict):
        retraining.start_training(get_settings(), tenant)
    upload = committed_upload(tenant)
    first = retraining.start_training(get_settings(), tenant)
    again = retraining.start_training(get_settings(), tenant)
    assert first.status == "queued" and again.job_id == first.job_id
    [job] = jobs(tenant)
    assert (job.id, job.reason, job.upload_id) == (first.job_id, "manual", upload)
    other = new_company("Outra Ltda")
    with pytest.raises(Conflict):  # the tenant's upload is not the other company's
        retraining.start_training(get_settings(), other)


def active_versions(principal) -> list[int]:
    with transaction() as session:
        return list(session.scalars(select(ModelVersion.version).where(
            ModelVersion.tenant_id == principal.tenant_id, ModelVersion.active.is_(True))))


def test_auto_activate_never_keeps_the_active_model_and_always_replaces_it(tenant):
    put_rule(tenant, auto_activate="never")
    training.run_job(get_settings(), upload_sample(tenant, orders=400, seed=5))
    assert active_versions(tenant) == [1], "a company's first model is activated: nothing else could answer"
    training.run_job(get_settings(), upload_sample(tenant, orders=400, seed=6))
    assert active_versions(tenant) == [1]
    put_rule(tenant, auto_activate="always")
    training.run_job(get_settings(), upload_sample(tenant, orders=400, seed=7))
    assert active_versions(tenant) == [3]
