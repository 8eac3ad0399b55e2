"""The model report's pure math against scikit-learn and direct counts on known holdouts."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.calibration import calibration_curve
from sklearn.metrics import auc, brier_score_loss, precision_recall_curve, roc_curve

from shared.ml.metrics import ks_statistic
from shared.ml.report import (
    HEADLINE_PRECISION,
    MAX_POINTS,
    calibration,
    compact_holdout,
    decision_mix,
    downsample,
    expand_holdout,
    headline,
    ks_curve,
    pr_points,
    roc_points,
    score_histogram,
    tradeoff,
)


def holdout(n: int, seed: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """Labels ~80% invoiced and probabilities that rank them well but not perfectly, with ties."""
    rng = np.random.default_rng(seed)
    y = rng.random(n) < 0.8
    p = np.clip(rng.normal(np.where(y, 0.7, 0.4), 0.18), 0, 1)
    return y, np.round(p, 3)  # rounding makes ties, as real scores of a tree model have


def nulls_for_infinity(values: np.ndarray) -> list:
    return [None if np.isinf(value) else float(value) for value in values]


SMALL = holdout(60)  # few distinct points: no downsampling
LARGE = holdout(5000)  # thousands of points: downsampled


def test_roc_points_are_sklearns_and_a_large_curve_keeps_its_ends_and_shape():
    fpr, tpr, thresholds = roc_curve(*SMALL)
    assert len(fpr) <= MAX_POINTS
    assert roc_points(*SMALL) == {"fpr": fpr.tolist(), "tpr": tpr.tolist(), "threshold": nulls_for_infinity(thresholds)}

    fpr, tpr, thresholds = roc_curve(*LARGE)
    points = roc_points(*LARGE)
    assert len(fpr) > MAX_POINTS >= len(points["fpr"])
    full = set(zip(fpr.tolist(), tpr.tolist(), nulls_for_infinity(thresholds)))
    assert set(zip(points["fpr"], points["tpr"], points["threshold"])) <= full
    assert (points["fpr"][0], points["tpr"][0]) == (0.0, 0.0) and (points["fpr"][-1], points["tpr"][-1]) == (1.0, 1.0)
    assert auc(points["fpr"], points["tpr"]) == pytest.approx(auc(fpr, tpr), abs=0.002)


def test_pr_points_are_sklearns_with_the_last_point_thresholdless():
    for y, p in (SMALL, LARGE):
        precision, recall, thresholds = precision_recall_curve(y, p)
        points = pr_points(y, p)
        assert len(points["recall"]) <= MAX_POINTS
        full = list(zip(recall.tolist(), precision.tolist(), [*thresholds.tolist(), None]))
        shown = list(zip(points["recall"], points["precision"], points["threshold"]))
        assert set(shown) <= set(full) and shown[0] == full[0] and shown[-1] == full[-1]
        assert shown[-1] == (0.0, 1.0, None)
    assert len(full) > MAX_POINTS, "the large holdout was downsampled"


def test_the_ks_curve_is_both_classes_share_below_each_threshold_and_its_widest_gap_is_ks():
    y, p = LARGE
    curve = ks_curve(y, p)
    assert curve["ks"] == pytest.approx(ks_statistic(y, p), abs=1e-12)
    assert len(curve["threshold"]) <= MAX_POINTS
    for threshold, invoiced, refused in zip(curve["threshold"][1:], curve["invoiced_below"][1:], curve["refused_below"][1:]):
        assert invoiced == pytest.approx(np.mean(p[y] < threshold))
        assert refused == pytest.approx(np.mean(p[~y] < threshold))
    at = curve["threshold"].index(curve["at"])  # the widest point is kept
    assert curve["refused_below"][at] - curve["invoiced_below"][at] == pytest.approx(curve["ks"])
    assert curve["threshold"][0] is None and curve["invoiced_below"][0] == 1.0 and curve["invoiced_below"][-1] == 0.0


def test_calibration_is_sklearns_calibration_curve_and_brier_score():
    y, p = LARGE
    observed, predicted = calibration_curve(y, p, n_bins=10)
    bins = calibration(y, p)
    assert bins["invoiced_rate"] == observed.tolist() and bins["mean_probability"] == predicted.tolist()
    assert bins["brier"] == brier_score_loss(y, p)
    assert sum(bins["orders"]) == len(y)
    for lower, upper, orders, rate in zip(bins["lower"], bins["upper"], bins["orders"], bins["invoiced_rate"]):
        inside = ((p > lower) | (lower == 0.0)) & (p <= upper)  # calibration_curve's bins: lower < p <= upper
        assert orders == inside.sum() and rate == pytest.approx(y[inside].mean())


def test_the_score_histogram_counts_each_class_in_fixed_bins():
    y, p = LARGE
    histogram = score_histogram(y, p)
    assert len(histogram["edges"]) == 21 and histogram["edges"][0] == 0.0 and histogram["edges"][-1] == 1.0
    assert sum(histogram["invoiced"]) == y.sum() and sum(histogram["refused"]) == (~y).sum()
    assert histogram["refused"][0] == np.sum((p[~y] >= 0) & (p[~y] < 0.05))


def test_the_decision_mix_matches_a_direct_count():
    y = np.array([True, True, False, True, False, False, True, True, False, True])
    p = np.array([0.95, 0.80, 0.80, 0.60, 0.55, 0.20, 0.30, 0.10, 0.05, 0.72])
    mix = decision_mix(y, p, invoice_at=0.72, hold_below=0.25)
    # invoiced: .95 .80 .80 .72 (3 of 4 right); held: .20 .10 .05 (2 of 3 refused); reviewed: .60 .55 .30
    assert mix["counts"] == {"invoiced": 4, "reviewed": 3, "held": 3}
    assert (mix["invoiced"], mix["reviewed"], mix["held"], mix["automation_rate"]) == (0.4, 0.3, 0.3, 0.7)
    assert mix["invoice_precision"] == 0.75 and mix["hold_precision"] == pytest.approx(2 / 3)
    assert (mix["invoice_at"], mix["hold_below"], mix["orders"]) == (0.72, 0.25, 10)

    one_threshold = decision_mix(y, p, invoice_at=0.5, hold_below=0.5)
    assert one_threshold["counts"] == {"invoiced": 6, "reviewed": 0, "held": 4}
    nothing_automatic = decision_mix(y, p, invoice_at=None, hold_below=None)
    assert nothing_automatic["counts"]["reviewed"] == 10
    assert nothing_automatic["invoice_precision"] is None and nothing_automatic["hold_precision"] is None
    with pytest.raises(ValueError):
        decision_mix(y, p, invoice_at=0.3, hold_below=0.6)


def test_every_tradeoff_point_is_what_its_cutoff_decides():
    y, p = LARGE
    curves = tradeoff(y, p)
    for side, decided, right in (("invoice", lambda c: p >= c, y), ("hold", lambda c: p < c, ~y)):
        curve = curves[side]
        assert 2 < len(curve["cutoff"]) <= MAX_POINTS
        assert curve["share"] == sorted(curve["share"]), "automation grows along the curve"
        for cutoff, share, precision in zip(curve["cutoff"], curve["share"], curve["precision"]):
            chosen = decided(cutoff)
            assert share == pytest.approx(chosen.mean()) and precision == pytest.approx(right[chosen].mean())
    assert curves["invoice"]["share"][-1] == 1.0, "the lowest invoice cutoff invoices everything"
    assert curves["hold"]["share"][-1] == pytest.approx(1 - np.mean(p == p.max()))


def test_the_headline_is_the_most_automation_at_98_percent_precision_found_by_brute_force():
    y, p = LARGE
    figure = headline(y, p)
    best_invoice = min(c for c in np.unique(p) if y[p >= c].mean() >= HEADLINE_PRECISION)
    best_hold = max(c for c in np.unique(p) if (p < c).any() and (~y[p < c]).mean() >= HEADLINE_PRECISION)
    assert (figure["invoice_at"], figure["hold_below"]) == (best_invoice, best_hold)
    assert figure["invoice_precision"] >= HEADLINE_PRECISION and figure["hold_precision"] >= HEADLINE_PRECISION
    assert figure["automation_rate"] == pytest.approx(np.mean(p >= best_invoice) + np.mean(p < best_hold))
    assert figure["precision"] == HEADLINE_PRECISION

    hopeless = headline(np.array([True, False] * 50), np.full(100, 0.5))
    assert hopeless["invoice_at"] is None and hopeless["hold_below"] is None and hopeless["automation_rate"] == 0.0


def test_downsampling_keeps_the_ends_the_asked_points_and_at_most_the_limit():
    t = np.linspace(0, 1, 10_000)
    curve = np.column_stack([t, np.sqrt(t)])
    chosen = downsample(curve, keep=(1234,))
    assert len(chosen) <= MAX_POINTS and {0, 9_999, 1234} <= set(chosen.tolist())
    assert np.all(np.diff(chosen) > 0)
    assert np.interp(t, t[chosen], curve[chosen, 1]) == pytest.approx(curve[:, 1], abs=0.01), "the shape is kept"
    assert downsample(curve[:50]).tolist() == list(range(50))


def test_the_compact_holdout_gives_back_the_decision_mix_of_the_full_one():
    y, p = holdout(20_000, seed=9)
    p = p + np.random.default_rng(1).uniform(-4e-4, 4e-4, len(p))  # many distinct scores
    compact = compact_holdout(y, p)
    assert len(compact["score"]) <= 10_001 and sum(compact["invoiced"]) == y.sum() and sum(compact["refused"]) == (~y).sum()
    labels, probability = expand_holdout(compact)
    for invoice_at, hold_below in ((0.7, 0.3), (0.61234, 0.40001), (0.5, 0.5)):
        near = np.abs(p - invoice_at) < 1e-4
        assert decision_mix(labels, probability, invoice_at, hold_below)["counts"] == pytest.approx(
            decision_mix(y, p, invoice_at, hold_below)["counts"], abs=int(near.sum()) + int((np.abs(p - hold_below) < 1e-4).sum())
        )
    exact = decision_mix(*expand_holdout(compact_holdout(*SMALL)), 0.7, 0.3)  # 3-decimal scores survive exactly
    assert exact == decision_mix(*SMALL, 0.7, 0.3)
