"""The model report (DESIGN §4, §8): what a credit team reads before it lets a model decide.

Everything is computed once, at training, on the holdout (the most recent labeled orders, scored
by the model refitted on every order before them), with scikit-learn's own curve functions.
Curves are cut to at most `MAX_POINTS` points for the answer (`downsample`), always keeping
both ends. The holdout itself is kept in `compact_holdout` form (per-class counts of the scores
at 1/10,000 resolution), so the decision mix can be recomputed at request time for whatever
cutoffs the company's policy sets then (`decision_mix`).

"Invoiced" is the positive class, as everywhere: an automatic invoice is right when the order
was invoiced, an automatic hold when it was refused.
"""

from __future__ import annotations

import numpy as np
from sklearn.calibration import calibration_curve
from sklearn.metrics import brier_score_loss, precision_recall_curve, roc_curve

from shared.ml.explain import LinearExplainer, TreeExplainer, probability_impacts
from shared.ml.features import feature_label

MAX_POINTS = 200
HISTOGRAM_BINS = 20
CALIBRATION_BINS = 10
HEADLINE_PRECISION = 0.98
SCORE_SCALE = 10_000
IMPORTANCE_ROWS = 2_000


def model_report(
    labels: np.ndarray,
    probability: np.ndarray,
    explainer: LinearExplainer | TreeExplainer,
    X: np.ndarray,
    names: list[str],
) -> dict:
    """The stored report of a model: `labels`/`probability` of the holdout, and its encoded rows
    `X` (columns `names`) for the stored model's global feature importance. JSON-able."""
    y = np.asarray(labels, dtype=bool)
    p = np.asarray(probability, dtype="float64")
    return {
        "holdout_orders": len(y),
        "roc": roc_points(y, p),
        "pr": pr_points(y, p),
        "ks": ks_curve(y, p),
        "score_histogram": score_histogram(y, p),
        "calibration": calibration(y, p),
        "tradeoff": tradeoff(y, p),
        "headline": headline(y, p),
        "feature_importance": feature_importance(explainer, X, names),
        "holdout": compact_holdout(y, p),
    }


def downsample(points: np.ndarray, max_points: int = MAX_POINTS, keep: tuple[int, ...] = ()) -> np.ndarray:
    """Indexes of at most `max_points` rows of `points` (a curve, n x d) spread evenly along its
    length, so steep and flat stretches keep their shape alike; the ends and `keep` always stay
    (these count towards the limit)."""
    n = len(points)
    if n <= max_points:
        return np.arange(n)
    span = np.ptp(points, axis=0)
    scaled = points / np.where(span > 0, span, 1.0)
    length = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(scaled, axis=0), axis=1))])
    fixed = np.unique([0, n - 1, *keep])
    free = max_points - len(fixed)
    targets = np.linspace(0.0, length[-1], free + 2)[1:-1]
    spread = np.minimum(np.searchsorted(length, targets), n - 1)
    return np.unique(np.concatenate([fixed, spread]))


def _columns(chosen: np.ndarray, **columns: np.ndarray) -> dict[str, list]:
    return {name: _plain(values[chosen]) for name, values in columns.items()}


def _plain(values: np.ndarray) -> list:
    """Floats as JSON numbers; an infinite threshold (above every score) as null."""
    return [None if not np.isfinite(value) else float(value) for value in np.asarray(values, dtype="float64")]


def roc_points(y: np.ndarray, p: np.ndarray) -> dict[str, list]:
    """`roc_curve`'s points (threshold null: above every score, nothing invoiced)."""
    fpr, tpr, thresholds = roc_curve(y, p)
    return _columns(downsample(np.column_stack([fpr, tpr])), fpr=fpr, tpr=tpr, threshold=thresholds)


def pr_points(y: np.ndarray, p: np.ndarray) -> dict[str, list]:
    """`precision_recall_curve`'s points, lowest threshold first; its last point (recall 0,
    precision 1) has no threshold (null)."""
    precision, recall, thresholds = precision_recall_curve(y, p)
    thresholds = np.append(thresholds, np.inf)
    chosen = downsample(np.column_stack([recall, precision]))
    return _columns(chosen, recall=recall, precision=precision, threshold=thresholds)


def ks_curve(y: np.ndarray, p: np.ndarray) -> dict:
    """Per threshold, the share of each class scored below it (the two cumulative distributions);
    KS is their largest gap (= max TPR - FPR, `metrics.ks_statistic`) and `at` the threshold there."""
    fpr, tpr, thresholds = roc_curve(y, p, drop_intermediate=False)
    gap = tpr - fpr
    widest = int(np.argmax(gap))
    invoiced_below, refused_below = 1.0 - tpr, 1.0 - fpr
    chosen = downsample(np.column_stack([invoiced_below, refused_below]), keep=(widest,))
    return {
        **_columns(chosen, threshold=thresholds, invoiced_below=invoiced_below, refused_below=refused_below),
        "ks": float(gap[widest]),
        "at": _plain(thresholds[[widest]])[0],
    }


def score_histogram(y: np.ndarray, p: np.ndarray, bins: int = HISTOGRAM_BINS) -> dict[str, list]:
    """Orders per probability bin (fixed, equal width over 0..1), per class."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    return {
        "edges": edges.tolist(),
        "invoiced": np.histogram(p[y], edges)[0].tolist(),
        "refused": np.histogram(p[~y], edges)[0].tolist(),
    }


def calibration(y: np.ndarray, p: np.ndarray, bins: int = CALIBRATION_BINS) -> dict:
    """`calibration_curve` (uniform bins; empty bins left out) with each bin's bounds and order
    count, and the Brier score."""
    observed, predicted = calibration_curve(y, p, n_bins=bins, strategy="uniform")
    edges = np.linspace(0.0, 1.0, bins + 1)
    counts = np.bincount(np.searchsorted(edges[1:-1], p), minlength=bins)  # calibration_curve's binning
    filled = np.flatnonzero(counts)
    return {
        "lower": edges[filled].tolist(),
        "upper": edges[filled + 1].tolist(),
        "orders": counts[filled].tolist(),
        "mean_probability": predicted.tolist(),
        "invoiced_rate": observed.tolist(),
        "brier": float(brier_score_loss(y, p)),
    }


def _cutoff_curves(y: np.ndarray, p: np.ndarray) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Every distinct cutoff of each automatic decision as (cutoff, share, precision), share rising:
    `invoice` invoices the orders scored at least `cutoff` (highest cutoff first), `hold` holds
    those scored below it (lowest first); `share` is the share of all orders decided so and
    `precision` the share of those decided right. Cutoffs that decide nothing are left out."""
    order = np.argsort(-p, kind="stable")
    ranked, hits = p[order], y[order]
    last = np.append(np.flatnonzero(np.diff(ranked)), len(ranked) - 1)  # last row of each score
    scores, invoiced, at_or_above = ranked[last], np.cumsum(hits)[last], last + 1
    n, refused = len(y), len(y) - int(y.sum())
    below = (n - at_or_above)[:-1][::-1]  # held at each cutoff but the lowest (which holds none)
    refused_below = (refused - (at_or_above - invoiced))[:-1][::-1]
    return {
        "invoice": (scores, at_or_above / n, invoiced / at_or_above),
        "hold": (scores[:-1][::-1], below / n, refused_below / below),
    }


def tradeoff(y: np.ndarray, p: np.ndarray) -> dict[str, dict[str, list]]:
    """Automation against precision for every cutoff of each automatic decision (see
    `_cutoff_curves`): what a company picks its policy's cutoffs or precision targets from."""
    return {
        side: _columns(
            downsample(np.column_stack([share, precision])), cutoff=cutoff, share=share, precision=precision
        )
        for side, (cutoff, share, precision) in _cutoff_curves(y, p).items()
    }


def headline(y: np.ndarray, p: np.ndarray, target: float = HEADLINE_PRECISION) -> dict:
    """The automation rate at `target` precision: the lowest invoice cutoff and the highest hold
    cutoff whose decisions are each at least `target` precise, and the decision mix they make.
    A side no cutoff makes that precise decides nothing (its cutoff null)."""
    cutoffs: dict[str, float | None] = {}
    for side, (cutoff, _, precision) in _cutoff_curves(y, p).items():
        precise = np.flatnonzero(precision >= target)
        cutoffs[side] = float(cutoff[precise[-1]]) if len(precise) else None
    invoice_at, hold_below = cutoffs["invoice"], cutoffs["hold"]
    if invoice_at is not None and hold_below is not None:
        hold_below = min(hold_below, invoice_at)  # a nearly separable holdout: invoicing comes first
    return {"precision": target, **decision_mix(y, p, invoice_at, hold_below)}


def decision_mix(
    y_true: np.ndarray, probability: np.ndarray, invoice_at: float | None, hold_below: float | None
) -> dict:
    """The decisions cutoffs make on labeled orders (DESIGN §8): `invoice` at or above
    `invoice_at`, `hold` below `hold_below`, `review` between (a None cutoff: that decision is
    never automatic). Shares of all orders, and the precision of each automatic decision (null
    when it decides no order)."""
    y = np.asarray(y_true, dtype=bool)
    p = np.asarray(probability, dtype="float64")
    if invoice_at is not None and hold_below is not None and hold_below > invoice_at:
        raise ValueError(f"hold_below {hold_below} is above invoice_at {invoice_at}")
    invoice = p >= invoice_at if invoice_at is not None else np.zeros(len(p), dtype=bool)
    hold = p < hold_below if hold_below is not None else np.zeros(len(p), dtype=bool)
    counts = {
        "invoiced": int(invoice.sum()),
        "reviewed": int((~invoice & ~hold).sum()),
        "held": int(hold.sum()),
    }
    n = len(y)
    return {
        "invoice_at": invoice_at,
        "hold_below": hold_below,
        "orders": n,
        "counts": counts,
        **{decision: _ratio(count, n) for decision, count in counts.items()},
        "automation_rate": _ratio(counts["invoiced"] + counts["held"], n),
        "invoice_precision": _ratio(int(y[invoice].sum()), counts["invoiced"]),
        "hold_precision": _ratio(int((~y[hold]).sum()), counts["held"]),
    }


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def feature_importance(
    explainer: LinearExplainer | TreeExplainer,
    X: np.ndarray,
    names: list[str],
    max_rows: int = IMPORTANCE_ROWS,
) -> list[dict]:
    """Per feature, as the reasons name it, the mean absolute impact on the probability (what
    the reasons show per order) over at most `max_rows` rows of `X` spread evenly over it (the
    holdout is in time order, so they span its period); largest first."""
    rows = np.unique(np.linspace(0, len(X) - 1, min(len(X), max_rows)).round().astype(np.int64))
    raw, contributions = explainer.explain(X[rows])
    impact = np.abs(probability_impacts(raw, contributions)).mean(axis=0)
    return [
        {"feature": names[i], "description": feature_label(names[i]), "mean_abs_impact": float(impact[i])}
        for i in np.argsort(-impact, kind="stable").tolist()
    ]


def compact_holdout(y: np.ndarray, p: np.ndarray) -> dict[str, object]:
    """The holdout as per-class counts of its scores rounded to 1/`SCORE_SCALE`: at most 10,001
    entries however many orders it has, and enough to recompute `decision_mix` for new cutoffs
    (exact but for orders scored within 1/20,000 of a cutoff)."""
    score = np.rint(np.asarray(p) * SCORE_SCALE).astype(np.int64)
    values, position = np.unique(score, return_inverse=True)
    invoiced = np.bincount(position, weights=y, minlength=len(values)).astype(np.int64)
    return {
        "scale": SCORE_SCALE,
        "score": values.tolist(),
        "invoiced": invoiced.tolist(),
        "refused": (np.bincount(position, minlength=len(values)) - invoiced).tolist(),
    }


def expand_holdout(compact: dict) -> tuple[np.ndarray, np.ndarray]:
    """`compact_holdout` back to (labels, probability) arrays, one row per order."""
    score = np.asarray(compact["score"], dtype="float64") / compact["scale"]
    invoiced, refused = np.asarray(compact["invoiced"]), np.asarray(compact["refused"])
    probability = np.concatenate([np.repeat(score, invoiced), np.repeat(score, refused)])
    labels = np.concatenate([np.ones(invoiced.sum(), dtype=bool), np.zeros(refused.sum(), dtype=bool)])
    return labels, probability
