"""Reading a training job's state; running it lives in `shared.services.training`."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from shared.db import transaction
from shared.db.models import TrainingJob
from shared.errors import NotFound
from shared.schemas.pages import PageQuery
from shared.schemas.uploads import TrainingJobList, TrainingJobStatus
from shared.security import Principal
from shared.services.pages import newest_first


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
