"""Upload sessions, the batches they received, training jobs and the event outbox."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from shared.db.models.base import Base
from shared.db.types import UtcDateTime, utcnow


class Upload(Base):
    __tablename__ = "uploads"
    __table_args__ = (Index("ix_uploads_tenant_created", "tenant_id", "created_at", "id"),)  # the list, newest first

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="open")
    expected_batches: Mapped[dict[str, int] | None] = mapped_column(JSON)
    training_job_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    committed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class UploadBatch(Base):
    """One received batch; its digest makes a resend idempotent and a conflicting resend visible.

    `written_keys` are the leading natural-key values of its rows (order ids for orders, customer
    ids otherwise): what a worker's scoring context reloads to take the batch in, instead of
    reloading the company (None for batches stored before it was recorded: a full reload).
    """

    __tablename__ = "upload_batches"
    __table_args__ = (UniqueConstraint("upload_id", "dataset", "batch"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    upload_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("uploads.id"))
    dataset: Mapped[str] = mapped_column(String(32))
    batch: Mapped[int] = mapped_column(Integer)
    digest: Mapped[str] = mapped_column(String(64))
    received: Mapped[int] = mapped_column(Integer)
    inserted: Mapped[int] = mapped_column(Integer)
    updated: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    written_keys: Mapped[list[str] | None] = mapped_column(JSON)


class TrainingJob(Base):
    """A company's request to train. `data_version` is the company's data version the run read
    (a later run on the same version has nothing new to learn); `retry_at` holds a job back
    after a transient failure until its backoff has passed."""

    __tablename__ = "training_jobs"
    __table_args__ = (
        Index("ix_training_jobs_status_lease", "status", "lease_expires_at"),
        Index("ix_training_jobs_tenant_created", "tenant_id", "created_at", "id"),  # the list, newest first
        Index("ix_training_jobs_tenant_started", "tenant_id", "started_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id"), index=True)
    upload_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("uploads.id"))
    status: Mapped[str] = mapped_column(String(16), default="queued")
    reason: Mapped[str] = mapped_column(String(16), default="commit", server_default="commit")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    model_version: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    detail: Mapped[str | None] = mapped_column(Text)
    stage_seconds: Mapped[dict[str, float] | None] = mapped_column(JSON)
    data_version: Mapped[int | None] = mapped_column(Integer)
    retry_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    lease_expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class OutboxEvent(Base):
    """Written in the same transaction as the change it announces; the relay publishes it later."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_published_at_id", "published_at", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id"))
    topic: Mapped[str] = mapped_column(String(100))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
