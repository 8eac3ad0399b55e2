"""Reading a training job's state; running it lives in `shared.services.training`."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from shared.db import transaction
from shared.db.models import TrainingJob
from shared.errors import NotFound
from shared.schemas.uploads import TrainingJobStatus
from shared.security import Principal


def get_training_job(principal: Principal, job_id: uuid.UUID) -> TrainingJobStatus:
    with transaction() as session:
        job = session.scalars(
            select(TrainingJob).where(TrainingJob.id == job_id, TrainingJob.tenant_id == principal.tenant_id)
        ).one_or_none()
        if job is None:
            raise NotFound("No such training job.")
        return TrainingJobStatus(
            job_id=job.id, status=job.status, model_version=job.model_version, error=job.error,
            created_at=job.created_at, started_at=job.started_at, finished_at=job.finished_at,
        )
