"""Monitoring math on counts, never on rows: realized ranking quality from binned scores, and drift.

Realized AUC and KS are computed from per-class counts of the probability in `SCORE_BINS` equal
bins (the database groups a million decisions into at most that many counts per class). Within a
bin every pair counts as a tie (half a pair for AUC), so the binned AUC differs from the exact one
by at most half the share of positive-negative pairs that share a bin, and KS by at most the mass
of one bin's step: with 1,000 bins, well under 0.01 on any realistic spread of scores.

Drift compares the share of orders per bin now with the training data's (`Reference`): numeric
features are cut at the training data's deciles, categorical ones (integer codes) get a bin per
code, and a last bin holds missing values; the score has `SCORE_DRIFT_BINS` fixed bins. PSI is
sum((a - e) * ln(a / e)) over bins of the two shares, each share smoothed as
(count + EPSILON) / (total + EPSILON * bins), so an empty bin adds a large but finite term.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

SCORE_BINS = 1000  # for realized AUC / KS
SCORE_DRIFT_BINS = 10  # for the score's PSI
DECILES = np.linspace(0.1, 0.9, 9)
EPSILON = 0.5  # pseudo-count per bin
PSI_WARNING = 0.1
PSI_DRIFT = 0.25
SCORE = "score"  # the name the score's histogram goes by, beside the features'


def score_bin(probability: float) -> int:
    """The bin of a probability among `SCORE_BINS` (1.0 falls in the last one)."""
    return min(int(probability * SCORE_BINS), SCORE_BINS - 1)


def binned_auc(positive: np.ndarray, negative: np.ndarray) -> float | None:
    """P(score of an invoiced order > a refused one's), ties (same bin) counting half; `positive`
    and `negative` are counts per bin in ascending score order. None without both classes."""
    positive, negative = np.asarray(positive, dtype="float64"), np.asarray(negative, dtype="float64")
    n_pos, n_neg = positive.sum(), negative.sum()
    if not n_pos or not n_neg:
        return None
    below = np.cumsum(negative) - negative
    return float((positive * (below + negative / 2)).sum() / (n_pos * n_neg))


def binned_ks(positive: np.ndarray, negative: np.ndarray) -> float | None:
    """The largest gap between the two classes' cumulative score distributions, at bin edges."""
    positive, negative = np.asarray(positive, dtype="float64"), np.asarray(negative, dtype="float64")
    n_pos, n_neg = positive.sum(), negative.sum()
    if not n_pos or not n_neg:
        return None
    return float(np.abs(np.cumsum(positive) / n_pos - np.cumsum(negative) / n_neg).max())


def psi(expected: np.ndarray, actual: np.ndarray, epsilon: float = EPSILON) -> float:
    """Population stability index of `actual` counts against `expected` counts of the same bins."""
    expected, actual = np.asarray(expected, dtype="float64"), np.asarray(actual, dtype="float64")
    bins = len(expected)
    e = (expected + epsilon) / (expected.sum() + epsilon * bins)
    a = (actual + epsilon) / (actual.sum() + epsilon * bins)
    return float(((a - e) * np.log(a / e)).sum())


def psi_status(value: float) -> str:
    return "drift" if value >= PSI_DRIFT else "warning" if value >= PSI_WARNING else "stable"


@dataclass(frozen=True)
class Reference:
    """Bins fixed at training and the training data's counts in them, per model feature and for
    the score (`SCORE`). `edges[name]` are interior cut points: a value's bin is how many of them
    are <= it, and missing values take the last bin (len(edges) + 1)."""

    edges: dict[str, list[float]]
    counts: dict[str, list[int]]

    @classmethod
    def of(cls, X: np.ndarray, names: list[str], categorical: np.ndarray, probability: np.ndarray) -> Reference:
        """`X`: the encoded training matrix (columns `names`); `probability`: the scores whose
        distribution new scores are compared with."""
        edges: dict[str, list[float]] = {}
        for position, name in enumerate(names):
            column = X[:, position]
            present = column[~np.isnan(column)]
            if categorical[position]:  # codes 0..k: a bin per code
                cuts = np.arange(int(present.max()) if len(present) else 0) + 0.5
            else:
                cuts = np.unique(np.quantile(present, DECILES)) if len(present) else np.array([])
            edges[name] = cuts.tolist()
        edges[SCORE] = (np.arange(1, SCORE_DRIFT_BINS) / SCORE_DRIFT_BINS).tolist()
        # Column by column: a million training orders must not be copied (`binned` stacks its input).
        columns = [*(X[:, position] for position in range(X.shape[1])), np.asarray(probability, dtype="float64")]
        return cls(edges, {
            name: _counts(column, np.asarray(cuts)).tolist() for (name, cuts), column in zip(edges.items(), columns, strict=True)
        })

    def binned(self, X: np.ndarray, probability: np.ndarray) -> dict[str, list[int]]:
        """Counts per bin of each feature (columns of `X`, in the order of `edges`) and of the score.

        For a request's few hundred orders: one searchsorted per column, then missing values and a
        single bincount over the bins offset per column, for all columns at once."""
        cuts, offsets, sizes = self._packed
        values = np.column_stack([X, np.asarray(probability, dtype="float64")])
        bins = np.empty(values.shape, dtype=np.int64)
        for column, edges in enumerate(cuts):
            bins[:, column] = np.searchsorted(edges, values[:, column], side="right")
        bins = np.where(np.isnan(values), sizes - 1, bins) + offsets
        counts = np.bincount(bins.ravel(), minlength=int(offsets[-1] + sizes[-1])).tolist()
        return {name: counts[start:start + size] for name, start, size in zip(self.edges, offsets.tolist(), sizes.tolist())}

    @cached_property
    def _packed(self) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
        """The cuts as arrays, and each column's first bin and bin count (missing: the last)."""
        cuts = [np.asarray(edges, dtype="float64") for edges in self.edges.values()]
        sizes = np.array([len(edges) + 2 for edges in cuts])
        return cuts, np.concatenate([[0], np.cumsum(sizes)[:-1]]), sizes

    def document(self) -> dict:
        """As stored beside the model version."""
        return {"edges": self.edges, "counts": self.counts}


def _counts(values: np.ndarray, cuts: np.ndarray) -> np.ndarray:
    bins = np.searchsorted(cuts, values, side="right")
    bins[np.isnan(values)] = len(cuts) + 1
    return np.bincount(bins, minlength=len(cuts) + 2)
