"""Precision targets -> cutoffs, checked against scikit-learn's precision on the same predictions."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import precision_score

from shared.ml.cutoffs import Cutoffs, PrecisionCurve, cutoff_grid


@pytest.fixture(scope="module")
def validation():
    rng = np.random.default_rng(3)
    probability = rng.beta(4, 1.5, 5000)
    invoiced = rng.random(5000) < probability  # calibrated: precision rises with the cutoff
    return probability, invoiced


def invoice_precision(probability, invoiced, invoice_at):
    return precision_score(invoiced, probability >= invoice_at)


def hold_precision(probability, invoiced, hold_below):
    return precision_score(~invoiced, probability < hold_below)


@pytest.mark.parametrize(("invoice_target", "hold_target"), [(0.93, 0.7), (0.98, 0.9), (0.85, 0.5)])
def test_the_cutoffs_meet_the_targets_and_are_the_widest_that_do(validation, invoice_target, hold_target):
    probability, invoiced = validation
    cutoffs = PrecisionCurve.of(probability, invoiced).cutoffs(invoice_target, hold_target)
    assert invoice_precision(probability, invoiced, cutoffs.invoice_at) >= invoice_target
    assert hold_precision(probability, invoiced, cutoffs.hold_below) >= hold_target
    lower = [c for c in cutoff_grid() if c < cutoffs.invoice_at and (probability >= c).any()]
    assert all(invoice_precision(probability, invoiced, c) < invoice_target for c in lower)
    higher = [c for c in cutoff_grid() if c > cutoffs.hold_below and (probability < c).any()]
    assert all(hold_precision(probability, invoiced, c) < hold_target for c in higher)


def test_the_curve_counts_exactly_what_deciding_with_a_cutoff_gives(validation):
    probability, invoiced = validation
    curve = PrecisionCurve.of(probability, invoiced)
    for k in (0, 1, 250, 713, 999, 1000):
        c = k / 1000
        assert curve.at_or_above[k] == (probability >= c).sum()
        assert curve.invoiced_at_or_above[k] == (invoiced & (probability >= c)).sum()
    assert (curve.orders, curve.invoiced) == (len(probability), invoiced.sum())


def test_unreachable_targets_decide_nothing_automatically():
    probability = np.array([0.2, 0.4, 0.6, 0.8])
    invoiced = np.array([True, False, True, False])  # no cutoff separates them
    assert PrecisionCurve.of(probability, invoiced).cutoffs(0.99, 0.99) == Cutoffs(invoice_at=1.0, hold_below=0.0)


def test_hold_below_never_passes_invoice_at():
    probability = np.array([0.1, 0.2, 0.3, 0.9])
    invoiced = np.array([False, False, False, True])
    cutoffs = PrecisionCurve.of(probability, invoiced).cutoffs(0.5, 0.5)
    assert cutoffs.hold_below <= cutoffs.invoice_at
