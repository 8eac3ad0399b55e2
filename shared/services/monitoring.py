"""GET /api/monitoring: per model version and day or week, the decisions, their outcomes and drift.

An outcome is the `invoiced` label a later upload gave an order that was decided: every logged
decision of that order (one per request that scored it) is judged by it. The figures come from
counts per version, day, decision, outcome and probability bin (`shared.services.outcomes`),
brought up to date first, so a query reads thousands of counts instead of a million decisions;
AUC and KS are computed from the per-bin counts (`shared.ml.monitoring`). Counts are per day
(UTC): `from` and `to` select whole days (those the window touches).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import date, timedelta

import numpy as np
from sqlalchemy import func, select

from shared.db import reading
from shared.db.models import DecisionCount, DriftCount, ModelVersion
from shared.errors import NotFound
from shared.ml.monitoring import SCORE, SCORE_BINS, binned_auc, binned_ks, psi, psi_status
from shared.schemas.models import TimeRange
from shared.schemas.monitoring import Drift, MonitoringAnswer, MonitoringQuery
from shared.security import Principal
from shared.services import outcomes
from shared.services.decision_history import DECISIONS
from shared.services.predictions import index_decisions


def monitoring(principal: Principal, request: MonitoringQuery) -> MonitoringAnswer:
    tenant = principal.tenant_id
    index_decisions(tenant)
    outcomes.sync(tenant)
    counts = DecisionCount
    scope = [counts.tenant_id == tenant]
    if request.model_version is not None:
        scope.append(counts.model_version == request.model_version)
    key = (counts.model_version, counts.day)
    # Amounts (decimals, slow to read) only per decision and outcome; bins per outcome only.
    totals = select(*key, counts.decision, counts.outcome, func.sum(counts.count), func.sum(counts.amount)).where(
        *scope).group_by(*key, counts.decision, counts.outcome)
    bins = select(*key, counts.outcome, counts.bin, func.sum(counts.count)).where(
        *scope, counts.outcome >= 0).group_by(*key, counts.outcome, counts.bin)
    with reading() as connection:
        if request.model_version is not None and connection.scalar(
            select(ModelVersion.id).where(ModelVersion.tenant_id == tenant, ModelVersion.version == request.model_version)
        ) is None:
            raise NotFound("No such model version.")
        total_rows = connection.execute(_days(totals, counts.day, request)).all()
        bin_rows = connection.execute(_days(bins, counts.day, request)).all()
        versions = sorted({row[0] for row in total_rows if row[4]} | ({request.model_version} - {None}))
        drift = {version: _drift(connection, tenant, version, request) for version in versions}
    buckets: dict[int, dict[date, _Bucket]] = defaultdict(lambda: defaultdict(_Bucket))
    start = (lambda day: day - timedelta(days=day.weekday())) if request.bucket == "week" else (lambda day: day)
    for version, day, decision, outcome, count, amount in total_rows:
        buckets[version][start(day)].add(decision, outcome, count, amount)
    for version, day, outcome, position, count in bin_rows:
        buckets[version][start(day)].by_class[bool(outcome)][position] += count
    return MonitoringAnswer(
        bucket=request.bucket,
        versions=[
            {
                "model_version": version,
                "buckets": [bucket.answer(day) for day, bucket in sorted(buckets[version].items()) if bucket.total],
                "score_drift": drift[version][0],
                "feature_drift": drift[version][1],
            }
            for version in versions
        ],
    )


def _days(query, column, window: TimeRange):
    """The days (UTC) the window touches: `to` is exclusive."""
    if window.from_ is not None:
        query = query.where(column >= window.from_.date())
    if window.to is not None:
        query = query.where(column <= (window.to - timedelta(microseconds=1)).date())
    return query


class _Bucket:
    """The counts of one version's bucket, as the grouped query returns them."""

    def __init__(self) -> None:
        self.count = {decision: 0 for decision in DECISIONS}
        self.amount = {decision: 0.0 for decision in DECISIONS}
        self.outcomes = {(decision, invoiced): 0 for decision in DECISIONS for invoiced in (True, False)}
        self.by_class = {True: np.zeros(SCORE_BINS), False: np.zeros(SCORE_BINS)}

    def add(self, decision: str, outcome: int, count: int, amount) -> None:
        self.count[decision] += count
        self.amount[decision] += float(amount or 0)
        if outcome >= 0:
            self.outcomes[decision, bool(outcome)] += count

    @property
    def total(self) -> int:
        return sum(self.count.values())

    def answer(self, start: date) -> dict:
        positive, negative = self.by_class[True], self.by_class[False]
        outcomes = int(positive.sum() + negative.sum())
        return {
            "start": start,
            "count": self.total,
            "decisions": self.count,
            "amount": {decision: round(amount, 2) for decision, amount in self.amount.items()},
            "realized": {
                "outcomes": outcomes,
                "invoiced": int(positive.sum()),
                "roc_auc": {"value": binned_auc(positive, negative), "n": outcomes},
                "ks": {"value": binned_ks(positive, negative), "n": outcomes},
                "invoice_precision": self._share("invoice", True),
                "hold_precision": self._share("hold", False),
                "review_invoiced": self._share("review", True),
            },
        }

    def _share(self, decision: str, outcome: bool) -> dict:
        n = self.outcomes[decision, True] + self.outcomes[decision, False]
        return {"value": self.outcomes[decision, outcome] / n if n else None, "n": n}


def _drift(connection, tenant: uuid.UUID, version: int, window: TimeRange) -> tuple[Drift | None, list[Drift]]:
    """PSI of each feature and of the score over the window's days against the training data."""
    reference = connection.scalar(
        select(ModelVersion.drift_reference).where(ModelVersion.tenant_id == tenant, ModelVersion.version == version)
    )
    observed = counts_in(connection, tenant, version, window)
    if not reference or not observed:
        return None, []
    found = [
        Drift(feature=feature, psi=round(value, 4), status=psi_status(value), n=n)
        for feature, (value, n) in psi_by_feature(reference, observed).items()
    ]
    score = next((drift for drift in found if drift.feature == SCORE), None)
    return score, sorted((drift for drift in found if drift.feature != SCORE), key=lambda drift: -drift.psi)


def psi_by_feature(reference: dict, observed: dict[str, dict[int, int]]) -> dict[str, tuple[float, int]]:
    """PSI and the count of orders behind it, per feature and `score`, of a version's counters
    (`counts_in`) against its stored reference."""
    found = {}
    for feature, expected in reference["counts"].items():
        actual = observed.get(feature, {})
        current = [actual.get(position, 0) for position in range(len(expected))]
        found[feature] = (psi(expected, current), sum(current))
    return found


def counts_in(connection, tenant: uuid.UUID, version: int, window: TimeRange) -> dict[str, dict[int, int]]:
    """The version's drift counters summed over the days the window touches (counters are per day)."""
    query = (
        select(DriftCount.feature, DriftCount.bin, func.sum(DriftCount.count))
        .where(DriftCount.tenant_id == tenant, DriftCount.model_version == version)
        .group_by(DriftCount.feature, DriftCount.bin)
    )
    query = _days(query, DriftCount.day, window)
    observed: dict[str, dict[int, int]] = defaultdict(dict)
    for feature, position, count in connection.execute(query):
        observed[feature][position] = int(count)
    return observed
