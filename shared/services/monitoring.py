"""GET /api/monitoring: per model version and day or week, the decisions, their outcomes and drift.

An outcome is the `invoiced` label a later upload gave an order that was decided: every logged
decision of that order (one per request that scored it) is judged by it. The decision log and
the orders are joined and grouped in one SQL query, down to the probability's bin
(`shared.ml.monitoring.SCORE_BINS`) for decisions with outcomes, so a million decisions come back
as a few thousand counts; AUC and KS are computed from those counts.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import date, timedelta

import numpy as np
from sqlalchemy import Integer, and_, case, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement

from shared.db import reading
from shared.db.models import DriftCount, ModelVersion, Order, PredictionLog
from shared.errors import NotFound
from shared.ml.monitoring import SCORE, SCORE_BINS, binned_auc, binned_ks, psi, psi_status
from shared.schemas.models import TimeRange
from shared.schemas.monitoring import Drift, MonitoringAnswer, MonitoringQuery
from shared.security import Principal
from shared.services.decision_history import BUCKETS, DECISIONS, bucket_start, in_range
from shared.services.predictions import index_decisions

NO_OUTCOME = -1  # the bin of decisions whose order has no label yet


def monitoring(principal: Principal, request: MonitoringQuery) -> MonitoringAnswer:
    index_decisions(principal.tenant_id)
    tenant = principal.tenant_id
    with reading() as connection:
        if request.model_version is not None and connection.scalar(
            select(ModelVersion.id).where(ModelVersion.tenant_id == tenant, ModelVersion.version == request.model_version)
        ) is None:
            raise NotFound("No such model version.")
        rows = connection.execute(_grouped(tenant, request)).all()
        versions = sorted({row.model_version for row in rows} | ({request.model_version} - {None}))
        drift = {version: _drift(connection, tenant, version, request) for version in versions}
    buckets: dict[int, dict[date, _Bucket]] = defaultdict(dict)
    for row in rows:
        start = bucket_start(row.bucket)
        bucket = buckets[row.model_version].get(start) or buckets[row.model_version].setdefault(start, _Bucket())
        bucket.add(row.decision, row.invoiced, row.bin, row.count, row.amount)
    return MonitoringAnswer(
        bucket=request.bucket,
        versions=[
            {
                "model_version": version,
                "buckets": [bucket.answer(start) for start, bucket in sorted(buckets[version].items())],
                "score_drift": drift[version][0],
                "feature_drift": drift[version][1],
            }
            for version in versions
        ],
    )


def _grouped(tenant: uuid.UUID, request: MonitoringQuery):
    log = PredictionLog
    bucket = BUCKETS[request.bucket](log.created_at).label("bucket")
    score_bin = case((Order.invoiced.is_(None), NO_OUTCOME), else_=_ScoreBin(log.probability)).label("bin")
    query = (
        select(log.model_version, bucket, log.decision, Order.invoiced, score_bin,
               func.count().label("count"), func.sum(log.amount).label("amount"))
        .select_from(log)
        .outerjoin(Order, and_(Order.tenant_id == log.tenant_id, Order.order_id == log.order_id))
        .where(log.tenant_id == tenant)
    )
    if request.model_version is not None:
        query = query.where(log.model_version == request.model_version)
    return in_range(query, request).group_by(log.model_version, bucket, log.decision, Order.invoiced, score_bin)


class _Bucket:
    """The counts of one version's bucket, as the grouped query returns them."""

    def __init__(self) -> None:
        self.count = {decision: 0 for decision in DECISIONS}
        self.amount = {decision: 0.0 for decision in DECISIONS}
        self.outcomes = {(decision, invoiced): 0 for decision in DECISIONS for invoiced in (True, False)}
        self.by_class = {True: np.zeros(SCORE_BINS), False: np.zeros(SCORE_BINS)}

    def add(self, decision: str, invoiced: bool | None, score_bin: int, count: int, amount) -> None:
        self.count[decision] += count
        self.amount[decision] += float(amount or 0)
        if invoiced is not None:
            self.outcomes[decision, bool(invoiced)] += count
            self.by_class[bool(invoiced)][min(score_bin, SCORE_BINS - 1)] += count

    def answer(self, start: date) -> dict:
        positive, negative = self.by_class[True], self.by_class[False]
        outcomes = int(positive.sum() + negative.sum())
        return {
            "start": start,
            "count": sum(self.count.values()),
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
    if window.from_ is not None:
        query = query.where(DriftCount.day >= window.from_.date())
    if window.to is not None:
        query = query.where(DriftCount.day <= (window.to - timedelta(microseconds=1)).date())
    observed: dict[str, dict[int, int]] = defaultdict(dict)
    for feature, position, count in connection.execute(query):
        observed[feature][position] = int(count)
    return observed


class _ScoreBin(FunctionElement):
    """The probability's bin of `SCORE_BINS`: floor(p * bins), 1.0 in a bin of its own that the
    caller folds into the last one."""

    inherit_cache = True
    type = Integer()


@compiles(_ScoreBin)
def _score_bin_default(element: _ScoreBin, compiler, **kw) -> str:  # PostgreSQL, SQL Server
    return f"CAST(FLOOR({compiler.process(element.clauses, **kw)} * {SCORE_BINS}) AS INTEGER)"


@compiles(_ScoreBin, "sqlite")
def _score_bin_sqlite(element: _ScoreBin, compiler, **kw) -> str:  # truncation is floor for p >= 0
    return f"CAST({compiler.process(element.clauses, **kw)} * {SCORE_BINS} AS INTEGER)"
