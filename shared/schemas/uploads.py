from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AliasChoices, BaseModel, Field

from shared.schemas.base import Boolean, Strict, integer
from shared.schemas.datasets import MAX_BATCH_NUMBER, Dataset
from shared.schemas.pages import Page


class UploadOpen(Strict):
    expected_batches: dict[Dataset, integer(ge=1, le=MAX_BATCH_NUMBER)] | None = Field(
        default=None, description="When given, receiving the last expected batch commits the upload."
    )


class UploadCreated(BaseModel):
    upload_id: uuid.UUID
    status: Literal["open", "committed"]
    expected_batches: dict[str, int] | None = None


class BatchResult(BaseModel):
    dataset: Dataset
    batch: int
    received: int
    inserted: int
    updated: int
    upload_status: Literal["open", "committed"]
    training_job_id: uuid.UUID | None = None


class CommitRequest(Strict):
    train: Boolean = True


class CommitResult(BaseModel):
    upload_id: uuid.UUID
    status: Literal["committed"] = "committed"
    training_job_id: uuid.UUID | None


class DatasetProgress(BaseModel):
    batches: int
    items: int
    expected_batches: int | None = None


class UploadStatus(BaseModel):
    upload_id: uuid.UUID
    status: Literal["open", "committed"]
    datasets: dict[str, DatasetProgress]
    training_job_id: uuid.UUID | None
    created_at: datetime
    committed_at: datetime | None


class TrainingJobStatus(BaseModel):
    """Read from a `TrainingJob` row by attribute (its `id` is the `job_id`), so a column added to
    both is answered by the single GET and the list alike."""

    job_id: uuid.UUID = Field(validation_alias=AliasChoices("job_id", "id"))
    status: Literal["queued", "running", "succeeded", "failed", "skipped"]
    reason: Literal["commit", "new_labels", "age", "drift", "manual"]
    model_version: int | None = Field(
        description="The version this job trained; for a skipped job, the one that already covers the data."
    )
    error: str | None
    detail: str | None = Field(description="Why a job was skipped, or when a retry after a transient fault is due.")
    stage_seconds: dict[str, float] | None = Field(
        None, description="A succeeded job's time per stage (load, features, selection, holdout, refit, report, "
        "champion, store), in seconds."
    )
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None



class UploadList(Page[UploadStatus]):
    pass


class TrainingJobList(Page[TrainingJobStatus]):
    pass
