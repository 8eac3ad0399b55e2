"""Model quality figures as plain JSON-able numbers (DESIGN §4 names), computed by scikit-learn.

The positive class is "invoiced" (probability = chance the order should be invoiced). Ranking
figures (roc_auc, pr_auc, ks, gini) are None when the labels hold a single class, where they are
undefined; this happens on small evaluation batches and is not an error.
"""

from __future__ import annotations

import numpy as np
from sklearn import metrics as skm


def compute_metrics(labels: np.ndarray, probability: np.ndarray, threshold: float) -> dict:
    y = np.asarray(labels, dtype=bool)
    p = np.asarray(probability, dtype="float64")
    decision = p >= threshold
    tn, fp, fn, tp = (int(v) for v in skm.confusion_matrix(y, decision, labels=[False, True]).ravel())
    both = bool(y.any() and not y.all())
    roc_auc = float(skm.roc_auc_score(y, p)) if both else None
    return {
        "roc_auc": roc_auc,
        "pr_auc": float(skm.average_precision_score(y, p)) if both else None,
        "ks": ks_statistic(y, p) if both else None,
        "gini": 2.0 * roc_auc - 1.0 if both else None,
        "brier": float(skm.brier_score_loss(y, p, pos_label=True)) if len(y) else None,
        "accuracy": float(skm.accuracy_score(y, decision)) if len(y) else None,
        "precision": float(skm.precision_score(y, decision, zero_division=0)),
        "recall": float(skm.recall_score(y, decision, zero_division=0)),
        "f1": float(skm.f1_score(y, decision, zero_division=0)),
        "confusion_matrix": {"tn": tn, "fp": fp, "fn": fn, "tp": tp},
        "threshold": float(threshold),
        "n": len(y),
    }


def ks_statistic(labels: np.ndarray, probability: np.ndarray) -> float:
    """Kolmogorov-Smirnov distance between the score distributions of both classes = max(TPR - FPR)."""
    fpr, tpr, _ = skm.roc_curve(labels, probability)
    return float(np.max(tpr - fpr))


def youden_threshold(labels: np.ndarray, probability: np.ndarray) -> float:
    """Threshold maximising Youden's J = TPR - FPR.

    Chosen over F1 because "invoiced" is usually the large majority: F1 of the majority class is
    maximised by invoicing almost everything, while J weighs the rate of bad orders let through
    and good orders held equally, whatever the class balance of the tenant.
    """
    fpr, tpr, thresholds = skm.roc_curve(labels, probability)
    best = int(np.argmax(tpr - fpr))
    return float(min(thresholds[best], 1.0))
