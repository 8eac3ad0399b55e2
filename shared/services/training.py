"""Running training jobs: claim one, train, store the artifact, register the version (DESIGN §5, §6, §9).

Events arrive at least once, so every step is guarded: the claim is a conditional update
(`queued -> running`), and the result is written only if this run still owns the job (same
attempt number); a run whose process died loses its lease and the timer requeues the job.

An event asks for its job's turn; it does not jump the queue. The worker serves due jobs in fair
order until that job has had its turn: next is always the job of the company served least
recently that has none running, so one company's many commits never make another wait behind
them. A company's data that has not changed since its last successful
training is not trained again: the job ends `skipped`, naming the model that covers it. A run
that hit a transient fault goes back to the queue with exponential backoff, a bounded number of
times. Whenever a company's run ends, its next waiting job is announced, so a wake-up spent while
that job had to wait is never lost.
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
from typing import NamedTuple

from pydantic import BaseModel, ValidationError
from sqlalchemy import case, exists, func, or_, select, update
from sqlalchemy.orm import Session, aliased

from shared.adapters.events import event_source_from_settings
from shared.adapters.model_store import model_store_from_settings
from shared.config import Settings
from shared.db import reading, transaction
from shared.db.locking import locked
from shared.db.models import ModelVersion, TrainingJob, Upload, UploadBatch
from shared.db.retry import retry_on_conflict
from shared.db.types import utcnow
from shared.errors import ModelUnavailable
from shared.faults import is_transient
from shared.ml.errors import TrainingError
from shared.services import outbox, webhooks
from shared.services.history import load_history
from shared.services.model_loader import load_version
from shared.services.retraining import auto_activate
from shared.services.training_jobs import lock_company

log = logging.getLogger(__name__)
SEED = 20260101
CLAIM_TRIES = 5  # candidates a worker tries when other workers keep taking them first


class TrainingRequested(BaseModel):
    type: str
    job_id: uuid.UUID
    tenant_id: uuid.UUID


class _Claim(NamedTuple):
    job_id: uuid.UUID
    tenant_id: uuid.UUID
    attempt: int
    skipped: bool


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


def run_local_events(settings: Settings) -> int:
    """Runs the training events waiting on the in-process bus (EVENTS_BACKEND=local); returns how
    many. The devhost's trigger loop reads that bus, but under `func start` nothing does (the
    Functions host's Event Hub trigger listens to Event Hubs), so the maintenance timer takes them
    there. Both may: the claim is conditional, so an event taken twice trains once."""
    if settings.events_backend != "local":
        return 0
    source = event_source_from_settings(settings, settings.training_event_hub, settings.training_consumer_group)
    ran = 0
    try:
        while events := source.receive(max_events=16, timeout=0):
            for event in events:
                handle_event(settings, event.body)
            source.ack(events)
            ran += len(events)
    finally:
        source.close()
    return ran


def run_job(settings: Settings, job_id: uuid.UUID) -> list[uuid.UUID]:
    """Serves jobs in fair order until `job_id`, the one the event announced, has had its turn
    here or elsewhere, or nothing is due (it waits behind its company's running job or a backoff,
    which announce it again). Returns the jobs served, in order."""
    served: list[uuid.UUID] = []
    while job_id not in served and _waiting(job_id) and (claim := _claim_next(settings)) is not None:
        if not claim.skipped:
            log.info("training job %s claimed (attempt %d)", claim.job_id, claim.attempt)
            _run(settings, claim)
        served.append(claim.job_id)
    if served:
        outbox.relay_soon_after_commit(settings)  # the next jobs of the companies served, announced as each ended
    else:
        log.info("training job %s is not due (taken, done, or waiting its turn); nothing to do", job_id)
    return served


def _waiting(job_id: uuid.UUID) -> bool:
    with reading() as connection:
        return connection.scalar(select(TrainingJob.status).where(TrainingJob.id == job_id)) == "queued"


def requeue_expired(settings: Settings) -> int:
    """Jobs whose run stopped heartbeating (the process died) go back to the queue, with a new
    event; one that lost TRAINING_MAX_ATTEMPTS runs that way fails instead."""
    with transaction() as session:
        expired = select(TrainingJob).where(TrainingJob.status == "running", TrainingJob.lease_expires_at < utcnow())
        jobs = session.scalars(locked(expired, TrainingJob, "skip_locked")).all()
        for job in jobs:
            if job.attempts >= settings.training_max_attempts:
                reason = f"Training stopped {job.attempts} times without finishing (its worker was lost each time)."
                _end(session, settings, job, status="failed", error=reason)
                continue
            job.status, job.lease_expires_at = "queued", None
            outbox.request_training(session, settings, job)
            log.warning("training job %s lease expired after attempt %d; requeued", job.id, job.attempts)
    return len(jobs)


def wake_due_retries(settings: Settings) -> int:
    """Announces the jobs whose backoff after a transient fault has passed."""
    with transaction() as session:
        due = select(TrainingJob).where(TrainingJob.status == "queued", TrainingJob.retry_at <= utcnow())
        jobs = session.scalars(locked(due, TrainingJob, "skip_locked")).all()
        for job in jobs:
            job.retry_at = None
            outbox.request_training(session, settings, job)
    return len(jobs)


def _run(settings: Settings, claim: _Claim) -> None:
    with _heartbeat(settings, claim.job_id, claim.attempt):
        try:
            _train_and_register(settings, claim.job_id, claim.attempt)
        except _LostJob:
            log.warning("training job %s attempt %d lost its lease; result discarded", claim.job_id, claim.attempt)
        except TrainingError as exc:
            _fail(settings, claim, exc.reason)
        except Exception as exc:
            if not is_transient(exc):
                log.exception("training job %s failed", claim.job_id)
                _fail(settings, claim, "Training stopped on an internal error; the team has been notified.")
            elif claim.attempt < settings.training_max_attempts:
                _retry_later(settings, claim, exc)
            else:
                log.warning("training job %s attempt %d: transient fault again; giving up", claim.job_id, claim.attempt, exc_info=True)
                _fail(settings, claim, (
                    f"Training failed {claim.attempt} times on a transient fault ({_describe(exc)}). "
                    "Commit again or ask for a training once the service is healthy."
                ))


def _claimable(now: datetime) -> tuple:
    """Queued, past any backoff, and its company has no run with a live lease."""
    running = aliased(TrainingJob)
    busy = exists().where(
        running.tenant_id == TrainingJob.tenant_id, running.status == "running", running.lease_expires_at > now
    )
    return (TrainingJob.status == "queued", or_(TrainingJob.retry_at.is_(None), TrainingJob.retry_at <= now), ~busy)


def _next_in_turn(now: datetime):
    """The claimable job of the company whose last run started longest ago (never: first)."""
    served = (
        select(TrainingJob.tenant_id, func.max(TrainingJob.started_at).label("at"))
        .group_by(TrainingJob.tenant_id)
        .subquery()
    )
    return (
        select(TrainingJob.id, TrainingJob.tenant_id)
        .join(served, served.c.tenant_id == TrainingJob.tenant_id)
        .where(*_claimable(now))
        # CASE rather than NULLS FIRST, which SQL Server lacks.
        .order_by(case((served.c.at.is_(None), 0), else_=1), served.c.at, TrainingJob.created_at, TrainingJob.id)
        .limit(1)
    )


def _claim_next(settings: Settings) -> _Claim | None:
    for _ in range(CLAIM_TRIES):
        with transaction() as session:
            now = utcnow()
            candidate = session.execute(_next_in_turn(now)).one_or_none()
            if candidate is None:
                return None
            job_id, tenant_id = candidate
            lock_company(session, tenant_id)  # so the "none running" check below sees every claim before it
            claimed = session.execute(
                update(TrainingJob)
                .where(TrainingJob.id == job_id, *_claimable(now))
                .values(
                    status="running",
                    attempts=TrainingJob.attempts + 1,
                    started_at=now,
                    finished_at=None,
                    error=None,
                    detail=None,
                    retry_at=None,
                    lease_expires_at=now + timedelta(seconds=settings.training_lease_seconds),
                )
                .execution_options(synchronize_session=False)
            ).rowcount
            if not claimed:
                continue  # another worker took it first
            job = session.get(TrainingJob, job_id, populate_existing=True)
            job.data_version = _data_version(session, tenant_id)
            covering = session.scalars(
                select(TrainingJob)
                .where(TrainingJob.tenant_id == tenant_id, TrainingJob.status == "succeeded")
                .order_by(TrainingJob.model_version.desc())
                .limit(1)
            ).one_or_none()
            skipped = covering is not None and covering.data_version == job.data_version
            if skipped:
                detail = f"No data changed since model version {covering.model_version} was trained; nothing to train."
                _end(session, settings, job, status="skipped", model_version=covering.model_version, detail=detail)
                log.info("training job %s skipped: model version %d covers its data", job_id, covering.model_version)
            return _Claim(job_id, tenant_id, job.attempts, skipped)
    return None


def _data_version(session: Session, tenant_id: uuid.UUID) -> int:
    """The company's data version as the prediction context cache counts it: every accepted
    batch adds one `upload_batches` row, and nothing else changes the data."""
    return session.scalar(
        select(func.count()).select_from(UploadBatch).join(Upload).where(Upload.tenant_id == tenant_id)
    )


def _end(session: Session, settings: Settings, job: TrainingJob, **values) -> None:
    """Ends `job`, announces the company's next waiting job (its own event may have been spent
    while this one ran) and tells the company's webhooks how it ended."""
    now = utcnow()
    for name, value in (values | {"finished_at": now, "lease_expires_at": None}).items():
        setattr(job, name, value)
    waiting = session.scalars(
        select(TrainingJob)
        .where(
            TrainingJob.tenant_id == job.tenant_id, TrainingJob.id != job.id, TrainingJob.status == "queued",
            or_(TrainingJob.retry_at.is_(None), TrainingJob.retry_at <= now),
        )
        .order_by(TrainingJob.created_at)
        .limit(1)
    ).one_or_none()
    if waiting is not None:
        outbox.request_training(session, settings, waiting)
    webhooks.job_ended(session, job)


def _retry_later(settings: Settings, claim: _Claim, exc: Exception) -> None:
    retry_at = utcnow() + timedelta(seconds=settings.training_retry_seconds * 2 ** (claim.attempt - 1))
    detail = (
        f"Attempt {claim.attempt} of {settings.training_max_attempts} hit a transient fault ({_describe(exc)}); "
        f"retrying after {retry_at:%Y-%m-%d %H:%M:%S} UTC."
    )
    with transaction() as session:
        session.execute(
            update(TrainingJob).where(*_owned(claim.job_id, claim.attempt))
            .values(status="queued", lease_expires_at=None, retry_at=retry_at, detail=detail)
        )
    log.warning("training job %s: %s", claim.job_id, detail, exc_info=True)


def _describe(exc: BaseException) -> str:
    """Readable and safe to show: an OS error's text (never its path), otherwise the error's kind."""
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return type(exc).__name__


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


def _fail(settings: Settings, claim: _Claim, reason: str) -> None:
    with transaction() as session:
        job = session.scalars(locked(select(TrainingJob).where(*_owned(claim.job_id, claim.attempt)), TrainingJob, "update")).one_or_none()
        if job is not None:
            _end(session, settings, job, status="failed", error=reason)


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

    stages = {name: round(seconds, 3) for name, seconds in stages.items()}
    version = retry_on_conflict(
        lambda: _register(settings, job_id, attempt, tenant_id, result, manifest, uri, comparison, stages)
    )
    log.info(
        "training job %s succeeded: version %d, holdout AUC %.4f, stages %s",
        job_id, version, result.holdout_metrics["roc_auc"], stages,
    )


def _register(settings, job_id, attempt, tenant_id, result, manifest, uri, comparison, stages) -> int:
    with transaction() as session:
        job = session.scalars(locked(select(TrainingJob).where(*_owned(job_id, attempt)), TrainingJob, "update")).one_or_none()
        if job is None:
            raise _LostJob
        version = (session.scalar(select(func.max(ModelVersion.version)).where(ModelVersion.tenant_id == tenant_id)) or 0) + 1
        # The company's rule (`retraining.auto_activate`): by default champion/challenger, the new
        # model taking over unless the active one does better on the new holdout; with `never`
        # only a company's first model is activated (nothing else could answer).
        mode = auto_activate(session, tenant_id)
        if mode == "if_better":
            activate = comparison is None or comparison["challenger"] >= comparison["champion"]
        else:
            activate = mode == "always" or session.scalar(
                select(ModelVersion.id).where(ModelVersion.tenant_id == tenant_id, ModelVersion.active.is_(True))
            ) is None
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
                report=result.model_report, drift_reference=result.drift_reference,
            )
        )
        _end(session, settings, job, status="succeeded", model_version=version, stage_seconds=stages)
        if activate:
            webhooks.model_activated(session, tenant_id, version, by="training")
        return version
