"""Trained model versions per tenant, and the log of every prediction made with them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from decimal import Decimal

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String, Unicode, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from shared.db.models.base import Base
from shared.db.types import Money, UtcDateTime, utcnow


class ModelVersion(Base):
    __tablename__ = "model_versions"
    __table_args__ = (UniqueConstraint("tenant_id", "version"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id"))
    version: Mapped[int] = mapped_column(Integer)
    training_job_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("training_jobs.id"))
    algorithm: Mapped[str] = mapped_column(String(100))
    threshold: Mapped[float] = mapped_column(Float)
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON)
    leaderboard: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    features: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    row_counts: Mapped[dict[str, int]] = mapped_column(JSON)
    champion_comparison: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # The holdout report (`shared.ml.report`): tens of KB, so loaded only when read (GET .../report).
    # Null for versions trained before reports existed.
    report: Mapped[dict[str, Any] | None] = mapped_column(JSON, deferred=True)
    # The training data's histograms (`shared.ml.monitoring.Reference`): {"edges", "counts"} by
    # feature and `score`. Null for versions trained before drift monitoring existed.
    drift_reference: Mapped[dict[str, Any] | None] = mapped_column(JSON, deferred=True)
    data_from: Mapped[datetime] = mapped_column(UtcDateTime)
    data_to: Mapped[datetime] = mapped_column(UtcDateTime)
    artifact_uri: Mapped[str] = mapped_column(String(1000))
    sha256: Mapped[str] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class PredictionLog(Base):
    """One decision. `policy_version`, `customer_id` and `amount` are null on decisions logged
    before policies existed (their `decision` is then what `invoice` said: invoice or hold)."""

    __tablename__ = "prediction_log"
    __table_args__ = (Index("ix_prediction_log_tenant_order_created", "tenant_id", "order_id", "created_at"),
                      Index("ix_prediction_log_tenant_created", "tenant_id", "created_at"),
                      Index("ix_prediction_log_tenant_customer_created", "tenant_id", "customer_id", "created_at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id"))
    order_id: Mapped[str] = mapped_column(Unicode(64))
    model_version: Mapped[int] = mapped_column(Integer)
    probability: Mapped[float] = mapped_column(Float)
    invoice: Mapped[bool] = mapped_column(Boolean)
    decision: Mapped[str] = mapped_column(String(7))
    policy_version: Mapped[int | None] = mapped_column(Integer)
    customer_id: Mapped[str | None] = mapped_column(Unicode(64))
    amount: Mapped[Decimal | None] = mapped_column(Money)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    # The order's label (`invoiced`) as last taken in (`shared.services.outcomes`); null: none yet.
    outcome: Mapped[bool | None] = mapped_column(Boolean)


class PredictionBatch(Base):
    """The decisions of one prediction request, as the request wrote them: one row, appended.

    `prediction_log` (one row per order, indexed by order id) is filled from these off the
    request path; until then a batch is the log. `decisions` holds the columns `order_id`,
    `probability`, `invoice`, `decision`, `customer_id` and `amount`, position for position
    (batches logged before policies existed: the first three only).
    """

    __tablename__ = "prediction_batches"
    __table_args__ = (Index("ix_prediction_batches_tenant_id", "tenant_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id"))
    model_version: Mapped[int] = mapped_column(Integer)
    policy_version: Mapped[int | None] = mapped_column(Integer)
    decisions: Mapped[dict[str, list]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

