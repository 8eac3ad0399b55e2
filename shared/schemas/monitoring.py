"""Monitoring (decisions, outcomes, drift) and the retraining rule (DESIGN §9)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from shared.schemas.base import Boolean, Strict, integer
from shared.schemas.models import DecisionsInBucket, TimeRange

class MonitoringQuery(TimeRange):
    # A query parameter is text: a plain int (lax) reads "3", unlike the JSON-number `integer`.
    model_version: Annotated[int, Field(ge=1, le=2**31 - 1)] | None = Field(None, description="One model version; all that decided in the window if omitted.")
    bucket: Literal["day", "week"] = "day"


class Figure(BaseModel):
    value: float | None = Field(description="Null when the figure is undefined on these outcomes (e.g. one class only).")
    n: int = Field(description="How many decisions with outcomes the figure rests on.")


class Realized(BaseModel):
    """From decisions whose orders were later uploaded with `invoiced` (every decision of such an order)."""

    outcomes: int = Field(description="Decisions in the bucket whose order has an outcome.")
    invoiced: int = Field(description="Of those, orders that were invoiced.")
    roc_auc: Figure
    ks: Figure
    invoice_precision: Figure = Field(description="Share of automatic invoices that were invoiced.")
    hold_precision: Figure = Field(description="Share of automatic holds that were not invoiced.")
    review_invoiced: Figure = Field(description="Share of orders sent to review that were invoiced.")


class MonitoringBucket(DecisionsInBucket):
    realized: Realized


class Drift(BaseModel):
    feature: str = Field(description="A model feature, or `score` for the model's score.")
    psi: float = Field(description="Population stability index against the training data's histogram.")
    status: Literal["stable", "warning", "drift"] = Field(description="warning from 0.1, drift from 0.25.")
    n: int = Field(description="Orders scored in the window.")


class VersionMonitoring(BaseModel):
    model_version: int
    buckets: list[MonitoringBucket]
    score_drift: Drift | None = Field(description="Null for a version trained before drift histograms existed, or without scored orders.")
    feature_drift: list[Drift] = Field(description="Features by PSI, highest first.")


class MonitoringAnswer(BaseModel):
    bucket: Literal["day", "week"]
    versions: list[VersionMonitoring]


class RetrainingRule(Strict):
    min_new_labeled: integer(ge=1, le=2**31 - 1) | None = Field(
        None, description="Train once this many orders were labeled since the active model's data."
    )
    max_model_age_days: integer(ge=1, le=36500) | None = Field(None, description="Train when the active model is older.")
    on_drift: Boolean = Field(False, description="Train when the score or a feature drifts (PSI >= 0.25 over the last day).")
    auto_activate: Literal["if_better", "always", "never"] = Field(
        "if_better", description="A new model takes over: if it beats the active one on its holdout, always, or never."
    )


class RetrainingAnswer(RetrainingRule):
    updated_at: datetime | None = Field(description="Null while the company has the default rule.")


class TrainingStart(Strict):
    """POST /api/training-jobs takes an empty object (or no body)."""


class TrainingJobQueued(BaseModel):
    job_id: uuid.UUID
    status: Literal["queued"]
