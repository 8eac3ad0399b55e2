"""Queueing a company's training and reading a job's state; running it lives in `shared.services.training`.

A company has at most one queued job: a request while one waits joins it, since one run on the
newest data answers them all (DESIGN §9). The company's row lock serialises this with the claim,
so a request never joins a job that a worker has already started on older data.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.config import Settings
from shared.db import transaction
from shared.db.locking import locked
from shared.db.models import Tenant, TrainingJob
from shared.errors import NotFound
from shared.schemas.pages import PageQuery
from shared.schemas.uploads import TrainingJobList, TrainingJobStatus
from shared.security import Principal
from shared.services import outbox
from shared.services.pages import newest_first


def lock_company(session: Session, tenant_id: uuid.UUID) -> None:
    """Held until the transaction ends: queueing and claiming a company's jobs take turns."""
    session.execute(locked(select(Tenant.id).where(Tenant.id == tenant_id), Tenant, "update"))


def queue_training(session: Session, settings: Settings, tenant_id: uuid.UUID, upload_id: uuid.UUID, reason: str) -> TrainingJob:
    """The company's waiting job, or a new one announced through the outbox (same transaction)."""
    lock_company(session, tenant_id)
    waiting = session.scalars(
        select(TrainingJob)
        .where(TrainingJob.tenant_id == tenant_id, TrainingJob.status == "queued")
        .order_by(TrainingJob.created_at)
        .limit(1)
    ).one_or_none()
    if waiting is not None:
        return waiting
    job = TrainingJob(tenant_id=tenant_id, upload_id=upload_id, status="queued", reason=reason)
    session.add(job)
    session.flush()
    outbox.request_training(session, settings, job)
    return job


def get_training_job(principal: Principal, job_id: uuid.UUID) -> TrainingJobStatus:
    with transaction() as session:
        job = session.scalars(
            select(TrainingJob).where(TrainingJob.id == job_id, TrainingJob.tenant_id == principal.tenant_id)
        ).one_or_none()
        if job is None:
            raise NotFound("No such training job.")
        return TrainingJobStatus.model_validate(job, from_attributes=True)


def list_training_jobs(principal: Principal, page: PageQuery) -> TrainingJobList:
    """The company's training jobs, newest first, each as `get_training_job` answers it."""
    with transaction() as session:
        rows, next_cursor = newest_first(session, TrainingJob, principal.tenant_id, page)
        return TrainingJobList(
            items=[TrainingJobStatus.model_validate(job, from_attributes=True) for job in rows], next_cursor=next_cursor
        )
