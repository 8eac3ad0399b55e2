"""Running a training job: claim it, train, store the artifact, register the version (DESIGN §5, §6).

Events arrive at least once, so every step is guarded: the claim is a conditional update
(`queued -> running`), and the result is written only if this run still owns the job (same
attempt number); a run whose process died loses its lease and the timer requeues the job.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from pydantic import BaseModel, ValidationError
from sqlalchemy import func, select, update

from shared.adapters.model_store import model_store_from_settings
from shared.config import Settings
from shared.db import transaction
from shared.db.locking import locked
from shared.db.models import ModelVersion, TrainingJob
from shared.db.retry import retry_on_conflict
from shared.db.types import utcnow
from shared.errors import ModelUnavailable
from shared.ml.errors import TrainingError
from shared.services import outbox, webhooks
from shared.services.history import load_history
from shared.services.model_loader import load_version

log = logging.getLogger(__name__)
SEED = 20260101


class TrainingRequested(BaseModel):
    type: str
    job_id: uuid.UUID
    tenant_id: uuid.UUID


class _LostJob(Exception):
    """The lease expired and another run took the job over; this run's result is discarded."""


def handle_event(settings: Settings, body: bytes) -> None:
    try:
        event = TrainingRequested.model_validate_json(body)
    except ValidationError:
        log.error("ignoring a malformed training event (%d bytes)", len(body))
        return
    if event.type == "training.requested":
        run_job(settings, event.job_id)


def run_job(settings: Settings, job_id: uuid.UUID) -> None:
    attempt = _claim(settings, job_id)
    if attempt is None:
        log.info("training job %s is not queued (duplicate event or already done); nothing to do", job_id)
        return
    log.info("training job %s claimed (attempt %d)", job_id, attempt)
    with _heartbeat(settings, job_id, attempt):
        try:
            _train_and_register(settings, job_id, attempt)
        except _LostJob:
            log.warning("training job %s attempt %d lost its lease; result discarded", job_id, attempt)
        except TrainingError as exc:
            _fail(job_id, attempt, exc.reason)
        except Exception:
            log.exception("training job %s failed", job_id)
            _fail(job_id, attempt, "Training stopped on an internal error; the team has been notified.")


def requeue_expired(settings: Settings) -> int:
    """Jobs whose run stopped heartbeating (the process died) go back to the queue, with a new event."""
    with transaction() as session:
        expired = select(TrainingJob).where(TrainingJob.status == "running", TrainingJob.lease_expires_at < utcnow())
        jobs = session.scalars(locked(expired, TrainingJob, "skip_locked")).all()
        for job in jobs:
            job.status, job.lease_expires_at = "queued", None
            outbox.request_training(session, settings, job)
            log.warning("training job %s lease expired after attempt %d; requeued", job.id, job.attempts)
    return len(jobs)


def _claim(settings: Settings, job_id: uuid.UUID) -> int | None:
    now = utcnow()
    with transaction() as session:
        claimed = session.execute(
            update(TrainingJob)
            .where(TrainingJob.id == job_id, TrainingJob.status == "queued")
            .values(
                status="running",
                attempts=TrainingJob.attempts + 1,
                started_at=now,
                finished_at=None,
                error=None,
                lease_expires_at=now + timedelta(seconds=settings.training_lease_seconds),
            )
        ).rowcount
        return session.scalar(select(TrainingJob.attempts).where(TrainingJob.id == job_id)) if claimed else None


def _owned(job_id: uuid.UUID, attempt: int):
    return (TrainingJob.id == job_id, TrainingJob.status == "running", TrainingJob.attempts == attempt)


@contextmanager
def _heartbeat(settings: Settings, job_id: uuid.UUID, attempt: int) -> Iterator[None]:
    """Extends the lease while this process is alive; a crash stops it and the lease runs out."""
    lease = settings.training_lease_seconds
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(lease / 3):
            try:
                with transaction() as session:
                    session.execute(
                        update(TrainingJob).where(*_owned(job_id, attempt))
                        .values(lease_expires_at=utcnow() + timedelta(seconds=lease))
                    )
            except Exception:
                log.warning("could not extend the lease of training job %s", job_id, exc_info=True)

    thread = threading.Thread(target=beat, name=f"lease-{job_id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def _fail(job_id: uuid.UUID, attempt: int, reason: str) -> None:
    with transaction() as session:
        failed = session.execute(
            update(TrainingJob).where(*_owned(job_id, attempt))
            .values(status="failed", error=reason, finished_at=utcnow(), lease_expires_at=None)
        ).rowcount
        if failed:
            webhooks.job_ended(session, session.get(TrainingJob, job_id))


def _train_and_register(settings: Settings, job_id: uuid.UUID, attempt: int) -> None:
    from shared.ml.artifact import dump_model
    from shared.ml.training import TrainingData, train_model

    with transaction() as session:
        job = session.get(TrainingJob, job_id)
        tenant_id = job.tenant_id
        champion = session.scalars(
            select(ModelVersion).where(ModelVersion.tenant_id == tenant_id, ModelVersion.active.is_(True))
        ).one_or_none()

    stages: dict[str, float] = {}
    started = time.perf_counter()
    history = load_history(tenant_id)
    stages["load"] = time.perf_counter() - started
    started = time.perf_counter()
    data = TrainingData.from_history(history)
    del history  # training needs only the features: the raw rows would sit in memory through the fits
    stages["features"] = time.perf_counter() - started

    result = train_model(data, seed=SEED, threads=settings.training_threads)
    stages.update(result.stage_seconds)

    started = time.perf_counter()
    comparison = None
    try:
        champion_model = load_version(settings, champion) if champion is not None else None
    except ModelUnavailable:  # logged; retraining is the fix for it, so the challenger takes over
        champion_model = None
    if champion_model is not None:
        champion_metrics = champion_model.evaluate(result.holdout_features, result.holdout_labels)
        comparison = {
            "metric": "roc_auc",
            "champion_version": champion.version,
            "champion": champion_metrics["roc_auc"],
            "challenger": result.holdout_metrics["roc_auc"],
        }
    stages["champion"] = time.perf_counter() - started

    started = time.perf_counter()
    data, manifest = dump_model(result.model, {"tenant_id": str(tenant_id), "training_job_id": str(job_id)})
    store = model_store_from_settings(settings)
    prefix = f"tenants/{tenant_id}/jobs/{job_id}/attempt-{attempt}"
    uri = store.put(f"{prefix}/model.joblib", data)
    store.put(f"{prefix}/manifest.json", json.dumps(manifest, indent=2, default=str).encode())
    stages["store"] = time.perf_counter() - started

    version = retry_on_conflict(lambda: _register(job_id, attempt, tenant_id, result, manifest, uri, comparison))
    log.info(
        "training job %s succeeded: version %d, holdout AUC %.4f, stages %s",
        job_id, version, result.holdout_metrics["roc_auc"], {k: round(v, 2) for k, v in stages.items()},
    )


def _register(job_id, attempt, tenant_id, result, manifest, uri, comparison) -> int:
    with transaction() as session:
        job = session.scalars(locked(select(TrainingJob).where(*_owned(job_id, attempt)), TrainingJob, "update")).one_or_none()
        if job is None:
            raise _LostJob
        version = (session.scalar(select(func.max(ModelVersion.version)).where(ModelVersion.tenant_id == tenant_id)) or 0) + 1
        # Champion/challenger: the new model takes over unless the active one does better on the new holdout.
        activate = comparison is None or comparison["challenger"] >= comparison["champion"]
        if activate:
            session.execute(
                update(ModelVersion).where(ModelVersion.tenant_id == tenant_id, ModelVersion.active.is_(True)).values(active=False)
            )
        first, last = (datetime.fromisoformat(result.data_range[k]) for k in ("first_ordered_at", "last_ordered_at"))
        session.add(
            ModelVersion(
                tenant_id=tenant_id, version=version, training_job_id=job_id, algorithm=result.model.family,
                threshold=result.threshold, metrics=result.holdout_metrics, leaderboard=result.leaderboard,
                features=result.features, row_counts=result.row_counts, champion_comparison=comparison,
                data_from=first, data_to=last, artifact_uri=uri, sha256=manifest["sha256"], active=activate,
                report=result.model_report,
            )
        )
        job.status, job.model_version, job.finished_at, job.lease_expires_at = "succeeded", version, utcnow(), None
        webhooks.job_ended(session, job)
        if activate:
            webhooks.model_activated(session, tenant_id, version, by="training")
        return version
