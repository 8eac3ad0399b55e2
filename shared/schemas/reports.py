"""The model report's answer (GET /api/models/{version}/report): the holdout's curves and the
decisions cutoffs make on it. Built by `shared.ml.report`; columns are lists of equal length,
one entry per point."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field

Threshold = Annotated[float | None, Field(description="null: above every score (nothing scores that high).")]


class RocCurve(BaseModel):
    """scikit-learn's `roc_curve` points (at most ~200, both ends kept)."""

    fpr: list[float]
    tpr: list[float]
    threshold: list[Threshold]


class PrCurve(BaseModel):
    """scikit-learn's `precision_recall_curve` points (at most ~200, both ends kept)."""

    recall: list[float]
    precision: list[float]
    threshold: list[Threshold]


class KsCurve(BaseModel):
    """The two classes' cumulative score distributions: per threshold, the share of each scored below it."""

    threshold: list[Threshold]
    invoiced_below: list[float]
    refused_below: list[float]
    ks: float = Field(description="The largest gap between the two distributions (max TPR - FPR).")
    at: Threshold = Field(description="The threshold where the gap is largest.")


class ScoreHistogram(BaseModel):
    edges: list[float] = Field(description="Bin bounds over 0..1 (fixed width); a bin holds lower <= p < upper, the last p <= 1.")
    invoiced: list[int]
    refused: list[int]


class Calibration(BaseModel):
    """scikit-learn's `calibration_curve` (10 uniform bins, empty ones left out), per bin; as
    there, a bin holds lower < p <= upper (the first also p = 0)."""

    lower: list[float]
    upper: list[float]
    orders: list[int]
    mean_probability: list[float]
    invoiced_rate: list[float] = Field(description="The share of the bin's orders that were invoiced.")
    brier: float


class CutoffCurve(BaseModel):
    cutoff: list[float]
    share: list[float] = Field(description="The share of all holdout orders this cutoff decides automatically.")
    precision: list[float] = Field(description="The share of those decided as the analysts did.")


class Tradeoff(BaseModel):
    """Automation against precision for every cutoff (at most ~200 each): what to pick a policy from."""

    invoice: CutoffCurve = Field(description="Invoice every order scored at least `cutoff`.")
    hold: CutoffCurve = Field(description="Hold every order scored below `cutoff`.")


class DecisionCounts(BaseModel):
    invoiced: int
    reviewed: int
    held: int


class DecisionMix(BaseModel):
    """What cutoffs decide on the holdout: invoice at or above `invoice_at`, hold below `hold_below`, review between."""

    invoice_at: float | None = Field(description="null: no order is invoiced automatically.")
    hold_below: float | None = Field(description="null: no order is held automatically.")
    orders: int
    counts: DecisionCounts
    invoiced: float
    reviewed: float
    held: float
    automation_rate: float = Field(description="The share not sent to review.")
    invoice_precision: float | None = Field(description="Share of auto-invoiced orders that were invoiced; null when none.")
    hold_precision: float | None = Field(description="Share of auto-held orders that were refused; null when none.")


class Headline(DecisionMix):
    """The most automation with both automatic decisions at least `precision` precise."""

    precision: float


class FeatureImportance(BaseModel):
    feature: str
    description: str
    mean_abs_impact: float = Field(description="Mean absolute change of the probability this feature makes, over the holdout.")


class ModelReport(BaseModel):
    version: int
    holdout_orders: int
    roc: RocCurve
    pr: PrCurve
    ks: KsCurve
    score_histogram: ScoreHistogram
    calibration: Calibration
    tradeoff: Tradeoff
    headline: Headline = Field(description="The automation rate at 98% precision.")
    decision_mix: DecisionMix = Field(description="At the cutoffs in force now.")
    feature_importance: list[FeatureImportance] = Field(description="Largest first.")
