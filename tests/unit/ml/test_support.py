"""The training data's support: unseen absences and values far outside the range are named."""

from __future__ import annotations

import numpy as np

from shared.ml.support import Support

NAMES = ["payment_term_days", "serasa_score", "customer_tenure_days", "channel"]
TRAINING = np.array(
    [[0, 500, 10, 0], [30, np.nan, 200, 1], [120, 900, 1000, 2], [60, 300, 40, np.nan]], dtype="float64"
)
SUPPORT = Support.of(TRAINING, NAMES, np.array([True, True, True, False]))


def gaps(*rows):
    return SUPPORT.gaps(np.array(rows, dtype="float64"))


def test_orders_like_the_training_data_are_inside():
    assert gaps([0, 500, 10, 0], [90, np.nan, 500, np.nan], [170, 100, 1400, 7]) == [None, None, None]


def test_a_feature_never_missing_in_training_is_named_by_its_group():
    [gap] = gaps([30, 500, np.nan, 1])
    assert "no customer record" in gap and "Outside what the model was trained on" in gap


def test_far_beyond_the_range_is_named_with_the_range():
    [above, below] = gaps([360, 500, 10, 0], [30, 500, -600, 0])
    assert "Payment term in days 360 is far above anything in training (0 to 120)" in above
    assert "Days as a customer -600 is far below anything in training (10 to 1,000)" in below


def test_categorical_codes_are_not_range_checked():
    assert gaps([30, 500, 10, 49]) == [None]
