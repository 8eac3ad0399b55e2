"""Per-day drift counters and the company's retraining rule (DESIGN §9)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, Date, ForeignKey, Integer, PrimaryKeyConstraint, SmallInteger, String, Unicode
from sqlalchemy.orm import Mapped, mapped_column

from shared.db.models.base import Base
from shared.db.types import Money, UtcDateTime


class DriftCount(Base):
    """How many orders a model version scored into one bin of one feature (or `score`) on a day
    (UTC): counters, not orders, so storage grows with days, not with traffic."""

    __tablename__ = "drift_counts"
    __table_args__ = (PrimaryKeyConstraint("tenant_id", "model_version", "day", "feature", "bin"),)

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id"))
    model_version: Mapped[int] = mapped_column(Integer)
    day: Mapped[date] = mapped_column(Date)
    feature: Mapped[str] = mapped_column(Unicode(128))
    bin: Mapped[int] = mapped_column(Integer)
    count: Mapped[int] = mapped_column(Integer)


class DecisionCount(Base):
    """Decisions of a model version on a day (UTC) by decision, outcome (-1: the order has no
    label yet, 0: refused, 1: invoiced) and probability bin (`shared.ml.monitoring.SCORE_BINS`),
    with their amount: what GET /api/monitoring reads, instead of joining the whole decision log
    with the orders. Kept by `shared.services.outcomes`."""

    __tablename__ = "decision_counts"
    __table_args__ = (PrimaryKeyConstraint("tenant_id", "model_version", "day", "decision", "outcome", "bin"),)

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id"))
    model_version: Mapped[int] = mapped_column(Integer)
    day: Mapped[date] = mapped_column(Date)
    decision: Mapped[str] = mapped_column(String(7))
    outcome: Mapped[int] = mapped_column(SmallInteger)
    bin: Mapped[int] = mapped_column(Integer)
    count: Mapped[int] = mapped_column(Integer)
    amount: Mapped[Decimal] = mapped_column(Money)


class OutcomeMark(Base):
    """The company's upload batches up to `upload_batch_id` have had their labels taken into the
    decision log's outcomes (`outcomes.sync`)."""

    __tablename__ = "outcome_marks"

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id"), primary_key=True)
    upload_batch_id: Mapped[int] = mapped_column(Integer)


class RetrainingRule(Base):
    """The rule, and what the timer last did on it, so that each trigger fires once: the labeled
    order count at the last `new_labels` job, and the model versions an `age` or `drift` job was
    already queued for."""

    __tablename__ = "retraining_rules"

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id"), primary_key=True)
    min_new_labeled: Mapped[int | None] = mapped_column(Integer)
    max_model_age_days: Mapped[int | None] = mapped_column(Integer)
    on_drift: Mapped[bool] = mapped_column(Boolean, default=False)
    auto_activate: Mapped[str] = mapped_column(String(9), default="if_better")
    updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime)  # null: never saved (the default rule)
    labeled_mark: Mapped[int | None] = mapped_column(Integer)
    age_version: Mapped[int | None] = mapped_column(Integer)
    drift_version: Mapped[int | None] = mapped_column(Integer)
