"""The fitted credit model the service stores and scores with: encoder + estimator + explainer."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.special import expit

from shared.ml.cutoffs import PrecisionCurve
from shared.ml.encoding import FeatureEncoder
from shared.ml.explain import LinearExplainer, TreeExplainer, explainer_for, top_reasons
from shared.ml.frames import Columns
from shared.ml.metrics import compute_metrics
from shared.ml.monitoring import Reference
from shared.ml.support import Support


@dataclass(frozen=True)
class Predictions:
    order_ids: list[str]
    probability: np.ndarray
    invoice: np.ndarray
    reasons: list[list[dict]]
    support_gaps: list[str | None]  # per order, why it is outside the training data's support
    drift_counts: dict[str, list[int]] | None = None  # per feature and `score`, orders per reference bin

    def records(self) -> list[dict]:
        """The per-order objects of the predictions API (DESIGN §4), JSON-able."""
        return [
            {"order_id": order_id, "invoice": invoice, "probability": probability, "score": score, "reasons": reasons}
            for order_id, invoice, probability, score, reasons in zip(
                self.order_ids,
                self.invoice.tolist(),
                self.probability.tolist(),
                np.rint(1000 * self.probability).astype(int).tolist(),
                self.reasons,
            )
        ]


@dataclass
class CreditModel:
    """Scores features (`build_features` frames, `HistoryIndex.columns` mappings); probability =
    chance the order should be invoiced.

    Features may lack columns the model knows (e.g. an attribute no scored customer has): they are
    treated as missing. Columns the model never saw are ignored.

    `validation_curve` (precision targets -> cutoffs), `support` and `reference` (drift bins)
    come from training; models trained before they existed have none (None): their threshold is
    then the only cutoff, no order is found outside their support, and nothing counts drift.
    """

    encoder: FeatureEncoder
    estimator: object
    threshold: float
    family: str
    params: dict
    metrics: dict = field(default_factory=dict)
    validation_curve: PrecisionCurve | None = None
    support: Support | None = None
    reference: Reference | None = None
    explainer: LinearExplainer | TreeExplainer = field(init=False, repr=False)

    @classmethod
    def fit_explained(
        cls, encoder: FeatureEncoder, estimator: object, X_fit: np.ndarray, **attributes: object
    ) -> CreditModel:
        model = cls(encoder=encoder, estimator=estimator, **attributes)
        model.explainer = explainer_for(estimator, X_fit)
        return model

    @property
    def features(self) -> list[dict[str, str]]:
        return self.encoder.features_

    def predict_proba(self, features: Columns) -> np.ndarray:
        return self.estimator.predict_proba(self.encoder.transform(features))[:, 1]

    def predict(self, features: Columns, order_ids: Sequence[str]) -> Predictions:
        X = self.encoder.transform(features)
        raw, contributions = self.explainer.explain(X)
        probability = expit(raw)
        return Predictions(
            order_ids=list(order_ids),
            probability=probability,
            invoice=probability >= self.threshold,
            reasons=top_reasons(features, self.encoder.columns_, raw, contributions, missing=np.isnan(X)),
            support_gaps=self.support.gaps(X) if self.support is not None else [None] * len(X),
            drift_counts=self.reference.binned(X, probability) if self.reference is not None else None,
        )

    def evaluate(self, features: Columns, labels: pd.Series | np.ndarray) -> dict:
        return compute_metrics(np.asarray(labels, dtype=bool), self.predict_proba(features), self.threshold)
