"""Train a tenant's model: time-ordered splits, candidate selection, one holdout test, refit.

Labeled orders are sorted by time (order_id breaks ties, for determinism). The most recent 20%
are the holdout; of the rest, the most recent 20% are the validation slice and the older part
trains the candidates. The candidate with the best validation ROC AUC wins and its decision
threshold is chosen on its validation predictions (Youden's J, see `metrics.youden_threshold`),
and those predictions are kept as a precision curve (`cutoffs`), from which any policy's
precision targets become cutoffs later; the default targets' cutoffs are reported.
Its settings are then refitted on training + validation and scored once on the holdout, and
finally refitted on every labeled order so the stored model has seen the most recent behaviour.
Features are encoded once, for all of these fits (`TrainingData`). The stored model also keeps
the support of every labeled order's features (`support`), so that scoring can tell an order
unlike anything in training.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score
from threadpoolctl import threadpool_limits

from shared.ml.candidates import Candidate, default_candidates
from shared.ml.cutoffs import Cutoffs, PrecisionCurve
from shared.ml.encoding import FeatureEncoder
from shared.ml.errors import TrainingError
from shared.ml.features import build_features
from shared.ml.frames import TenantHistory
from shared.ml.metrics import compute_metrics, youden_threshold
from shared.ml.model import CreditModel
from shared.ml.monitoring import Reference
from shared.ml.report import model_report
from shared.ml.support import Support
from shared.schemas.policy import DEFAULT_TARGETS

MIN_LABELED = 200
MIN_PER_CLASS = 20
HOLDOUT_FRACTION = 0.2
VALIDATION_FRACTION = 0.2


@dataclass
class TrainingResult:
    model: CreditModel
    holdout_metrics: dict
    leaderboard: list[dict]
    threshold: float
    features: list[dict[str, str]]
    row_counts: dict[str, int]
    data_range: dict[str, str]
    stage_seconds: dict[str, float]
    holdout_features: pd.DataFrame
    holdout_labels: np.ndarray
    holdout_probability: np.ndarray  # by the model refitted on every order before the holdout
    model_report: dict  # `shared.ml.report.model_report`, stored beside the model version
    cutoffs: Cutoffs  # at the default policy's precision targets, on the validation predictions

    @property
    def drift_reference(self) -> dict:
        return self.model.reference.document()

    def report(self) -> dict:
        """Everything JSON-able about the run (for the model registry and the artifact manifest)."""
        return {
            "family": self.model.family,
            "params": self.model.params,
            "holdout_metrics": self.holdout_metrics,
            "leaderboard": self.leaderboard,
            "threshold": self.threshold,
            "cutoffs": {"invoice_at": self.cutoffs.invoice_at, "hold_below": self.cutoffs.hold_below},
            "features": self.features,
            "row_counts": self.row_counts,
            "data_range": self.data_range,
            "stage_seconds": self.stage_seconds,
        }


@dataclass(frozen=True)
class TrainingData:
    """The labeled orders in time order (order_id breaks ties), encoded once into one matrix.

    Every fit takes a slice (a view) of `X`, and the features frame is dropped once encoded: the
    frame, and a copy of it per stage, were most of a million-order job's memory. The encoder is
    fitted on every labeled order, as the stored model's must be. It learns no labels; a category
    that only later orders have reaches a model fitted on earlier ones as a value it never saw
    (missing for the gradient boosting, no one-hot column for the linear model).
    """

    encoder: FeatureEncoder
    X: np.ndarray
    labels: np.ndarray
    holdout_features: pd.DataFrame  # the most recent labeled orders, for models with their own encoder
    unlabeled: int
    data_range: dict[str, str]

    @classmethod
    def from_history(cls, history: TenantHistory) -> TrainingData:
        orders = history.orders
        labeled = orders.loc[orders["invoiced"].notna(), ["order_id", "ordered_at", "invoiced"]]
        labeled = labeled.sort_values(["ordered_at", "order_id"], kind="stable")
        labels = labeled["invoiced"].to_numpy(dtype=bool)
        _check_enough(labels)
        features = build_features(history).iloc[orders.index.get_indexer(labeled.index)]
        encoder = FeatureEncoder().fit(features)
        times = labeled["ordered_at"]
        return cls(
            encoder,
            encoder.transform(features),
            labels,
            holdout_features=features.iloc[len(labels) - math.ceil(len(labels) * HOLDOUT_FRACTION) :].copy(),
            unlabeled=len(orders) - len(labels),
            data_range={"first_ordered_at": times.iloc[0].isoformat(), "last_ordered_at": times.iloc[-1].isoformat()},
        )


def train_model(
    data: TrainingData,
    seed: int = 0,
    candidates: Sequence[Candidate] | None = None,
    threads: int | None = None,
) -> TrainingResult:
    """`candidates` defaults to `default_candidates()` (both families, a few settings each).

    `threads` caps the OpenMP/BLAS threads of the fits (None = the libraries' default, all cores).
    On a host whose cores are shared with other busy processes, 1 is much faster: OpenMP workers
    spin-wait for each other and a 2-thread gradient boosting ran 3-6x slower than 1 thread here.
    """
    with threadpool_limits(threads):
        return _train(data, seed, candidates or default_candidates())


def _train(data: TrainingData, seed: int, candidates: Sequence[Candidate]) -> TrainingResult:
    clock = _Stopwatch()
    X, y, categorical = data.X, data.labels, data.encoder.categorical_mask_
    n, n_holdout = len(y), len(data.holdout_features)
    n_validation = math.ceil((n - n_holdout) * VALIDATION_FRACTION)
    n_train = n - n_holdout - n_validation
    train, validation, holdout = slice(0, n_train), slice(n_train, n - n_holdout), slice(n - n_holdout, n)
    for name, part in (("training", train), ("validation", validation), ("holdout", holdout)):
        _check_both_classes(y[part], name)
    stage_seconds: dict[str, float] = {}

    leaderboard, fitted = [], {}
    for candidate in candidates:
        started = time.perf_counter()
        model = candidate.fit(X[train], y[train], categorical, seed, (X[validation], y[validation]))
        score = float(roc_auc_score(y[validation], model.predict_proba(X[validation])[:, 1]))
        fitted[candidate.name] = (candidate, model)
        leaderboard.append(
            {
                "name": candidate.name,
                "family": candidate.family,
                "params": candidate.settled(model).params,
                "validation_roc_auc": score,
                "fit_seconds": round(time.perf_counter() - started, 3),
            }
        )
    best = max(leaderboard, key=lambda entry: entry["validation_roc_auc"])  # first wins ties
    for entry in leaderboard:
        entry["winner"] = entry is best
    winner, winner_model = fitted[best["name"]]
    validation_probability = winner_model.predict_proba(X[validation])[:, 1]
    threshold = youden_threshold(y[validation], validation_probability)
    curve = PrecisionCurve.of(validation_probability, y[validation])
    final = winner.settled(winner_model)
    del fitted, winner_model
    stage_seconds["selection"] = clock.lap()

    # The winner's settings refitted on every order before the holdout: the holdout then tests
    # the model the final refit makes, less only the holdout's own orders.
    before = slice(0, holdout.start)
    tested = final.fit(X[before], y[before], categorical, seed)
    holdout_probability = tested.predict_proba(X[holdout])[:, 1]
    holdout_metrics = compute_metrics(y[holdout], holdout_probability, threshold)
    del tested
    stage_seconds["holdout"] = clock.lap()

    model = CreditModel.fit_explained(
        data.encoder,
        final.fit(X, y, categorical, seed),
        X,
        threshold=threshold,
        family=final.family,
        params=final.params,
        metrics=holdout_metrics,
        validation_curve=curve,
        support=Support.of(X, data.encoder.columns_, ~categorical),
        # Scores of the holdout as the model tested on it saw them: out of sample, like the
        # scores of new orders (in-sample scores of a boosted model are overconfident).
        reference=Reference.of(X, data.encoder.columns_, categorical, holdout_probability),
    )
    stage_seconds["refit"] = clock.lap()
    report = model_report(y[holdout], holdout_probability, model.explainer, X[holdout], data.encoder.columns_)
    stage_seconds["report"] = clock.lap()
    return TrainingResult(
        model=model,
        holdout_metrics=holdout_metrics,
        leaderboard=leaderboard,
        threshold=threshold,
        features=model.features,
        row_counts={
            "labeled": n,
            "train": n_train,
            "validation": n_validation,
            "holdout": n_holdout,
            "unlabeled": data.unlabeled,
        },
        data_range=data.data_range,
        stage_seconds={name: round(seconds, 3) for name, seconds in stage_seconds.items()},
        holdout_features=data.holdout_features,
        holdout_labels=y[holdout],
        holdout_probability=holdout_probability,
        model_report=report,
        cutoffs=curve.cutoffs(DEFAULT_TARGETS.invoice_precision, DEFAULT_TARGETS.hold_precision),
    )


def _check_enough(y: np.ndarray) -> None:
    invoiced, refused = int(y.sum()), int((~y).sum())
    if len(y) < MIN_LABELED:
        raise TrainingError(
            f"too little data: {len(y)} labeled orders (invoiced true/false); at least {MIN_LABELED} are needed"
        )
    if invoiced == 0 or refused == 0:
        only = "invoiced" if refused == 0 else "refused"
        raise TrainingError(
            f"all {len(y)} labeled orders were {only}; the model needs examples of both invoiced and refused orders"
        )
    if min(invoiced, refused) < MIN_PER_CLASS:
        raise TrainingError(
            f"too little data: {invoiced} invoiced and {refused} refused orders; "
            f"at least {MIN_PER_CLASS} of each are needed"
        )


def _check_both_classes(y: np.ndarray, part: str) -> None:
    if y.all() or not y.any():
        raise TrainingError(
            f"the {part} slice of the labeled orders (split by time) holds only "
            f"{'invoiced' if y.all() else 'refused'} orders; send more history with both outcomes"
        )


class _Stopwatch:
    def __init__(self) -> None:
        self._last = time.perf_counter()

    def lap(self) -> float:
        now = time.perf_counter()
        elapsed, self._last = now - self._last, now
        return elapsed
