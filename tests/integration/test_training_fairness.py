"""Training under many commits and faults (DESIGN §9): fair turns per company, collapsed queues,
unchanged data skipped, transient faults retried with backoff. Events are delivered in the order
the outbox holds them, as the relay publishes them."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from shared.config import get_settings
from shared.db import transaction
from shared.db.models import ModelVersion, OutboxEvent, Tenant, TrainingJob
from shared.db.types import utcnow
from shared.schemas.uploads import UploadOpen
from shared.security import Principal
from shared.services import training, training_jobs, uploads
from tests.disk import fill, tiny_filesystem
from tests.integration.conftest import upload_sample


class Outbox:
    """The training events in publication order; `deliver` hands each new one to the trigger."""

    def __init__(self) -> None:
        with transaction() as session:  # PostgreSQL's database is shared by the session's tests
            self.seen = session.scalar(select(func.max(OutboxEvent.id))) or 0

    def deliver(self) -> None:
        while True:
            with transaction() as session:
                rows = session.scalars(select(OutboxEvent).where(OutboxEvent.id > self.seen).order_by(OutboxEvent.id)).all()
            if not rows:
                return
            for row in rows:
                self.seen = row.id
                training.handle_event(get_settings(), json.dumps(row.payload).encode())


def company(name: str) -> Principal:
    with transaction() as session:
        row = Tenant(company=name)
        session.add(row)
        session.flush()
        return Principal(tenant_id=row.id)


def commit_customers(principal: Principal, *customer_ids: str) -> uuid.UUID:
    """An upload of a few new customers (or none), committed; returns the job the commit names."""
    upload = uploads.open_upload(principal, UploadOpen()).upload_id
    if customer_ids:
        items = [{"customer_id": customer_id} for customer_id in customer_ids]
        uploads.receive_batch(get_settings(), principal, upload, "customers", {"batch": 1, "items": items})
    return uploads.commit_upload(get_settings(), principal, upload, train=True).training_job_id


def jobs_of(principal: Principal) -> list[TrainingJob]:
    with transaction() as session:
        return session.scalars(
            select(TrainingJob).where(TrainingJob.tenant_id == principal.tenant_id).order_by(TrainingJob.created_at)
        ).all()


def status(principal: Principal, job_id: uuid.UUID):
    return training_jobs.get_training_job(principal, job_id)


def test_a_company_committing_many_times_does_not_hold_another_back(database):
    bus, a, b = Outbox(), company("A"), company("B")
    first = upload_sample(a, orders=60)  # too little data: each run fails fast, which is all this needs
    bus.deliver()
    assert status(a, first).status == "failed"

    backlog = {commit_customers(a, f"a-{n}") for n in range(6)}
    b_job = upload_sample(b, orders=60)
    assert len(backlog) == 1, "every later commit of A names the one waiting job"
    [a_job] = backlog
    assert [job.status for job in jobs_of(a)] == ["failed", "queued"]

    bus.deliver()
    b_started, a_started = status(b, b_job).started_at, status(a, a_job).started_at
    assert b_started < a_started, "B's only job ran before A's waiting one: A had its turn already"
    assert status(a, a_job).status == status(b, b_job).status == "failed"
    assert status(a, a_job).reason == "commit"


def test_concurrent_commits_of_one_company_queue_one_job(database):
    a = company("A")
    with ThreadPoolExecutor(8) as pool:
        named = set(pool.map(lambda n: commit_customers(a, f"c-{n}"), range(16)))
    assert len(named) == 1
    assert [job.status for job in jobs_of(a)] == ["queued"]


def test_a_company_never_has_two_jobs_running(database):
    bus, a = Outbox(), company("A")
    first = upload_sample(a, orders=60)
    with transaction() as session:  # a worker is busy with A's first job
        session.execute(
            update(TrainingJob).where(TrainingJob.id == first)
            .values(status="running", attempts=1, started_at=utcnow(), lease_expires_at=utcnow() + timedelta(minutes=5))
        )
    waiting = commit_customers(a, "late")
    assert waiting != first

    bus.deliver()  # both events find A busy
    assert status(a, waiting).status == "queued"

    training._run(get_settings(), training._Claim(first, a.tenant_id, attempt=1, skipped=False))
    assert status(a, first).status == "failed"  # the busy worker finished, and announced A's next job
    bus.deliver()
    assert status(a, waiting).status == "failed" and status(a, waiting).started_at is not None


def test_a_commit_without_new_data_is_skipped_naming_the_model_that_covers_it(database):
    bus, a = Outbox(), company("A")
    trained = upload_sample(a, orders=1000)
    bus.deliver()
    assert status(a, trained).status == "succeeded"

    empty = commit_customers(a)
    bus.deliver()
    skipped = status(a, empty)
    assert skipped.status == "skipped" and skipped.model_version == 1 and skipped.error is None
    assert "model version 1" in skipped.detail and skipped.finished_at is not None

    changed = commit_customers(a, "new-customer")
    bus.deliver()
    assert status(a, changed).status == "succeeded" and status(a, changed).model_version == 2
    with transaction() as session:
        assert session.scalars(select(ModelVersion.version).where(ModelVersion.tenant_id == a.tenant_id)).all() == [1, 2]


@pytest.fixture
def full_store(database, monkeypatch) -> Iterator[Path]:
    """Backoff of 0 s, so a retry is due at once; the model store on a small filesystem, filled up
    (a real ENOSPC). Yields the filler file: deleting it frees the disk."""
    monkeypatch.setenv("TRAINING_RETRY_SECONDS", "0")
    get_settings.cache_clear()
    with tiny_filesystem(get_settings().app_data_dir / "models") as store:
        yield fill(store)


def test_a_transient_store_fault_is_retried_until_the_store_is_back(full_store, monkeypatch):
    monkeypatch.setenv("TRAINING_MAX_ATTEMPTS", "3")
    get_settings.cache_clear()
    bus, a = Outbox(), company("A")
    job_id = upload_sample(a, orders=600)

    bus.deliver()
    waiting = status(a, job_id)
    assert waiting.status == "queued" and waiting.error is None
    assert "Attempt 1 of 3" in waiting.detail and "No space left" in waiting.detail

    full_store.unlink()  # the disk has room again
    assert training.wake_due_retries(get_settings()) == 1
    bus.deliver()
    done = status(a, job_id)
    assert done.status == "succeeded" and done.model_version == 1 and done.detail is None
    assert [job.attempts for job in jobs_of(a)] == [2]


def test_a_fault_that_outlasts_the_attempts_fails_the_job_with_a_readable_error(full_store, monkeypatch):
    monkeypatch.setenv("TRAINING_MAX_ATTEMPTS", "2")
    get_settings.cache_clear()
    bus, a = Outbox(), company("A")
    job_id = upload_sample(a, orders=600)

    bus.deliver()
    assert status(a, job_id).status == "queued"
    training.wake_due_retries(get_settings())
    bus.deliver()
    failed = status(a, job_id)
    assert failed.status == "failed" and "2 times" in failed.error and "No space left" in failed.error
    assert str(full_store.parent) not in failed.error, "paths stay out of the answer"


def test_a_job_whose_worker_is_lost_every_time_fails_after_the_attempts(database, monkeypatch):
    monkeypatch.setenv("TRAINING_MAX_ATTEMPTS", "2")
    get_settings.cache_clear()
    a = company("A")
    job_id = upload_sample(a, orders=60)
    with transaction() as session:  # the second run's worker died too: its lease ran out
        session.execute(
            update(TrainingJob).where(TrainingJob.id == job_id)
            .values(status="running", attempts=2, started_at=utcnow(), lease_expires_at=utcnow() - timedelta(seconds=1))
        )
    training.requeue_expired(get_settings())
    lost = status(a, job_id)
    assert lost.status == "failed" and "2 times" in lost.error and lost.finished_at is not None
