"""Reasons never present an absent value as a reason to invoice (issue: "Serasa negative records
(unknown) raised the chance of invoicing")."""

from __future__ import annotations

import numpy as np

from shared.ml.explain import top_reasons

NAMES = ["serasa_negative_records", "serasa_score", "amount", "payment_term_days"]


def test_an_absence_that_raised_the_chance_is_left_out_and_one_that_lowered_it_is_said_plainly():
    features = {
        "serasa_negative_records": np.array([np.nan, 2.0]),
        "serasa_score": np.array([np.nan, 700.0]),
        "amount": np.array([1000.0, 1000.0]),
        "payment_term_days": np.array([30.0, 30.0]),
    }
    missing = np.isnan(np.column_stack([features[name] for name in NAMES]))
    contributions = np.array([[0.9, -0.6, 0.3, -0.2], [0.9, -0.6, 0.3, -0.2]])
    raw = contributions.sum(axis=1)
    absent, present = top_reasons(features, NAMES, raw, contributions, missing=missing)

    assert [r["feature"] for r in absent] == ["serasa_score", "amount", "payment_term_days"]
    assert absent[0]["description"] == "Serasa score: none on record, which lowered the chance of invoicing"
    assert absent[0]["value"] is None
    assert not any("unknown" in r["description"] for r in absent)
    assert [r["feature"] for r in present] == ["serasa_negative_records", "serasa_score", "amount"]
    assert present[0]["description"] == "Serasa negative records (2) raised the chance of invoicing"


def test_fewer_reasons_when_only_absences_raised_the_chance():
    features = {name: np.array([np.nan]) for name in NAMES[:2]}
    missing = np.array([[True, True]])
    [reasons] = top_reasons(features, NAMES[:2], np.array([1.0]), np.array([[0.6, 0.4]]), missing=missing)
    assert reasons == []
