"""Monitoring math: binned AUC/KS against sklearn's exact figures, PSI against its formula."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from shared.ml.metrics import ks_statistic
from shared.ml.monitoring import EPSILON, SCORE_BINS, Reference, binned_auc, binned_ks, psi, psi_status, score_bin


def binned(y: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    bins = np.array([score_bin(value) for value in p])
    return np.bincount(bins[y], minlength=SCORE_BINS), np.bincount(bins[~y], minlength=SCORE_BINS)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_binned_auc_and_ks_are_within_the_stated_tolerance_of_sklearns(seed):
    rng = np.random.default_rng(seed)
    p = rng.beta(2, 2, 5000)
    y = rng.uniform(0, 1, 5000) < p
    positive, negative = binned(y, p)
    assert binned_auc(positive, negative) == pytest.approx(roc_auc_score(y, p), abs=0.002)
    assert binned_ks(positive, negative) == pytest.approx(ks_statistic(y, p), abs=0.005)
    assert binned_auc(positive, np.zeros(SCORE_BINS)) is None


def test_psi_equals_its_formula_with_the_stated_smoothing():
    expected, actual = [50, 30, 20, 0], [10, 30, 40, 20]
    shares = lambda counts: [(c + EPSILON) / (sum(counts) + EPSILON * len(counts)) for c in counts]  # noqa: E731
    direct = sum((a - e) * math.log(a / e) for e, a in zip(shares(expected), shares(actual)))
    assert psi(expected, actual) == pytest.approx(direct, rel=1e-12)
    assert psi(expected, expected) == pytest.approx(0.0)
    assert [psi_status(v) for v in (0.05, 0.1, 0.2, 0.25)] == ["stable", "warning", "warning", "drift"]


def test_reference_bins_numeric_deciles_categorical_codes_and_missing_values():
    rng = np.random.default_rng(0)
    X = np.column_stack([rng.normal(size=1000), rng.integers(0, 3, 1000).astype(float)])
    X[:100, 0] = np.nan
    reference = Reference.of(X, ["amount", "channel"], np.array([False, True]), rng.uniform(0, 1, 1000))
    assert len(reference.edges["amount"]) == 9 and reference.edges["channel"] == [0.5, 1.5]
    counts = reference.counts
    assert counts["amount"][-1] == 100 and sum(counts["amount"]) == 1000
    assert counts["channel"] == [int((X[:, 1] == code).sum()) for code in range(3)] + [0]
    assert len(counts["score"]) == 11 and sum(counts["score"]) == 1000
    assert reference.binned(X, np.full(1000, 0.5)) == {**counts, "score": [0] * 5 + [1000] + [0] * 5}
