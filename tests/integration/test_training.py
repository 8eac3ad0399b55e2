"""The training job on real databases: event -> claim -> train -> store -> register."""

from datetime import timedelta
from pathlib import Path

import pytest
from azure.functions.timer import TimerRequest
from sqlalchemy import select, update

from functions.training import training_maintenance

from shared.config import get_settings
from shared.db import transaction
from shared.db.models import ModelVersion, OutboxEvent, TrainingJob
from shared.db.types import utcnow
from shared.errors import ModelUnavailable
from shared.services import model_loader, outbox, training, training_jobs
from tests.integration.conftest import upload_sample


def versions(principal):
    with transaction() as session:
        return session.scalars(
            select(ModelVersion).where(ModelVersion.tenant_id == principal.tenant_id).order_by(ModelVersion.version)
        ).all()


def test_a_committed_upload_trains_one_model_even_when_the_event_comes_twice(tenant):
    job_id = upload_sample(tenant, orders=1200)
    training.run_job(get_settings(), job_id)
    training.run_job(get_settings(), job_id)  # at-least-once delivery: the duplicate trains nothing

    job = training_jobs.get_training_job(tenant, job_id)
    assert job.status == "succeeded" and job.model_version == 1 and job.error is None
    [model] = versions(tenant)
    assert model.active and model.training_job_id == job_id
    assert {"roc_auc", "pr_auc", "ks", "gini", "brier", "accuracy", "precision", "recall", "f1", "confusion_matrix", "threshold"} <= set(model.metrics)
    assert model.metrics["roc_auc"] > 0.7
    assert {entry["family"] for entry in model.leaderboard} >= {"logistic_regression", "gradient_boosting"}
    assert model.row_counts["holdout"] == pytest.approx(0.2 * model.row_counts["labeled"], abs=1)
    assert model.data_from < model.data_to
    manifest = Path(model.artifact_uri.removeprefix("file://")).with_name("manifest.json")
    assert model.sha256 in manifest.read_text()


def test_an_expired_lease_is_requeued_and_trained_once_more(tenant):
    job_id = upload_sample(tenant, orders=1000)
    attempt = training._claim_next(get_settings()).attempt  # a run that dies right after claiming
    with transaction() as session:
        session.execute(update(TrainingJob).where(TrainingJob.id == job_id).values(lease_expires_at=utcnow() - timedelta(seconds=1)))
    assert training.requeue_expired(get_settings()) == 1
    assert training_jobs.get_training_job(tenant, job_id).status == "queued"

    training.run_job(get_settings(), job_id)
    with pytest.raises(training._LostJob):  # the dead run's result, were it to arrive, is refused
        training._register(get_settings(), job_id, attempt, tenant.tenant_id, None, None, None, None, None)
    job = training_jobs.get_training_job(tenant, job_id)
    assert job.status == "succeeded"
    assert [v.active for v in versions(tenant)] == [True]


def test_a_second_model_is_challenger_and_both_scores_are_recorded(tenant):
    training.run_job(get_settings(), upload_sample(tenant, orders=1000, seed=5))
    training.run_job(get_settings(), upload_sample(tenant, orders=1000, seed=6))
    first, second = versions(tenant)
    comparison = second.champion_comparison
    assert comparison["champion_version"] == 1
    assert comparison["challenger"] == second.metrics["roc_auc"]
    assert second.active == (comparison["challenger"] >= comparison["champion"])
    assert first.active != second.active


def test_a_tampered_artifact_is_refused(tenant):
    training.run_job(get_settings(), upload_sample(tenant, orders=1000))
    [model] = versions(tenant)
    path = Path(model.artifact_uri.removeprefix("file://"))
    path.write_bytes(path.read_bytes()[:-1] + b"\x00")
    model_loader.forget_tenant(tenant.tenant_id)
    with pytest.raises(ModelUnavailable, match="integrity"):
        model_loader.load_version(get_settings(), model)


def test_too_little_data_fails_the_job_with_the_reason(tenant):
    job_id = upload_sample(tenant, orders=120)
    training.run_job(get_settings(), job_id)
    job = training_jobs.get_training_job(tenant, job_id)
    assert job.status == "failed" and "200" in job.error
    assert versions(tenant) == []


def test_the_commit_relays_its_event_once(tenant):
    job_id = upload_sample(tenant, orders=50)
    with transaction() as session:
        [event] = session.scalars(select(OutboxEvent).where(OutboxEvent.tenant_id == tenant.tenant_id)).all()
    assert event.published_at is not None and event.payload["job_id"] == str(job_id)
    assert outbox.relay(get_settings()) == 0, "nothing is left to publish"
    assert training_jobs.get_training_job(tenant, job_id).status == "queued"


def test_without_a_devhost_the_maintenance_timer_runs_local_events(tenant):
    """`func start` with EVENTS_BACKEND=local: nothing but the timer reads the in-process bus."""
    job_id = upload_sample(tenant, orders=400)
    assert training_jobs.get_training_job(tenant, job_id).status == "queued"
    training_maintenance(TimerRequest(past_due=False))
    job = training_jobs.get_training_job(tenant, job_id)
    assert job.status == "succeeded" and job.model_version == 1
    assert set(job.stage_seconds) == {"load", "features", "selection", "holdout", "refit", "report", "champion", "store"}
    assert all(seconds >= 0 for seconds in job.stage_seconds.values())
    assert training.run_local_events(get_settings()) == 0, "the bus is empty: the event was taken once"
