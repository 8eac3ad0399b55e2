"""Training on the sample tenant: quality against the Bayes AUC, report shape, refusals, metrics."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import precision_score, roc_auc_score

from shared.ml import TrainingError
from shared.ml.candidates import BOOSTING, LOGISTIC, default_candidates
from shared.ml.cutoffs import PrecisionCurve
from shared.ml.frames import TenantHistory
from shared.ml.metrics import compute_metrics, youden_threshold
from shared.ml.report import expand_holdout, headline, roc_points
from shared.ml.training import TrainingData, train_model
from shared.sample_data import generate
from shared.schemas.policy import DEFAULT_TARGETS

START = datetime(2024, 1, 1, tzinfo=UTC)
METRIC_NAMES = {
    "roc_auc",
    "pr_auc",
    "ks",
    "gini",
    "brier",
    "accuracy",
    "precision",
    "recall",
    "f1",
    "confusion_matrix",
    "threshold",
}


@pytest.fixture(scope="module")
def tenant():
    return generate(orders=20_000, seed=7, unlabeled_fraction=0.05)


@pytest.fixture(scope="module")
def trained(tenant):
    return train_model(TrainingData.from_history(TenantHistory.from_tenant(tenant)), seed=0)


def test_the_winner_comes_close_to_the_bayes_auc_on_the_holdout(tenant, trained):
    bayes = tenant.bayes_auc()
    assert trained.holdout_metrics["roc_auc"] >= bayes - 0.02, (trained.holdout_metrics, bayes)


def test_the_report_lists_every_candidate_of_both_families_and_the_split(trained):
    board = trained.leaderboard
    assert {entry["family"] for entry in board} == {LOGISTIC, BOOSTING}
    assert [entry["name"] for entry in board] == [c.name for c in default_candidates()]
    assert sum(entry["winner"] for entry in board) == 1
    winner = next(entry for entry in board if entry["winner"])
    assert winner["validation_roc_auc"] == max(entry["validation_roc_auc"] for entry in board)
    assert trained.model.family == winner["family"] and trained.model.params == winner["params"]
    assert all(0.5 < entry["validation_roc_auc"] < 1 for entry in board)

    counts = trained.row_counts
    assert counts["unlabeled"] == 1000 and counts["labeled"] == 19_000
    assert counts["train"] + counts["validation"] + counts["holdout"] == counts["labeled"]
    assert counts["holdout"] == 3800 and counts["validation"] == 3040
    assert len(trained.holdout_features) == len(trained.holdout_labels) == counts["holdout"]
    assert trained.data_range["first_ordered_at"] < trained.data_range["last_ordered_at"]
    assert set(trained.stage_seconds) == {"selection", "holdout", "refit", "report"}

    assert METRIC_NAMES <= set(trained.holdout_metrics)
    assert trained.holdout_metrics["threshold"] == trained.threshold == trained.model.threshold
    names = {feature["name"] for feature in trained.features}
    assert {"serasa_score", "open_exposure", "customer_attr_sector", "order_attr_rush"} <= names
    assert {feature["kind"] for feature in trained.features} == {"numeric", "categorical"}
    json.dumps(trained.report())  # JSON-able for the registry


def test_the_holdout_is_the_most_recent_fifth_and_lets_a_champion_be_compared(tenant, trained):
    labeled = tenant.orders[tenant.orders["invoiced"].notna()]
    cutoff = labeled["ordered_at"].sort_values().iloc[-trained.row_counts["holdout"]]
    held = labeled.set_index("order_id").loc[trained.holdout_features.index]
    assert (held["ordered_at"] >= cutoff).all()
    assert (held["invoiced"].to_numpy(dtype=bool) == trained.holdout_labels).all()
    # the refitted model has seen the holdout, so it scores it at least about as well
    refit = trained.model.evaluate(trained.holdout_features, trained.holdout_labels)
    assert refit["roc_auc"] >= trained.holdout_metrics["roc_auc"] - 0.005


def test_the_report_is_built_from_the_holdout_scores_the_metrics_were_computed_on(trained):
    report, y, p = trained.model_report, trained.holdout_labels, trained.holdout_probability
    assert report["holdout_orders"] == len(y) == len(p) == trained.row_counts["holdout"]
    assert roc_auc_score(y, p) == trained.holdout_metrics["roc_auc"]
    assert report["roc"] == roc_points(y, p) and report["headline"] == headline(y, p)
    assert report["ks"]["ks"] == pytest.approx(trained.holdout_metrics["ks"])
    assert report["calibration"]["brier"] == pytest.approx(trained.holdout_metrics["brier"])
    assert expand_holdout(report["holdout"])[0].sum() == y.sum()

    importance = report["feature_importance"]
    assert sorted(entry["feature"] for entry in importance) == sorted(trained.model.encoder.columns_)
    impacts = [entry["mean_abs_impact"] for entry in importance]
    assert impacts == sorted(impacts, reverse=True) and 0 < impacts[0] < 1
    assert next(e for e in importance if e["feature"] == "serasa_score")["description"] == "Serasa score"
    json.dumps(report)


def test_training_is_deterministic_for_a_seed():
    data = TrainingData.from_history(TenantHistory.from_tenant(generate(orders=3000, seed=3)))
    first, second = train_model(data, seed=5), train_model(data, seed=5)
    strip = lambda board: [{k: v for k, v in e.items() if k != "fit_seconds"} for e in board]
    assert strip(first.leaderboard) == strip(second.leaderboard)
    assert first.holdout_metrics == second.holdout_metrics
    np.testing.assert_array_equal(
        first.model.predict_proba(first.holdout_features), second.model.predict_proba(second.holdout_features)
    )


@pytest.fixture(scope="module")
def small():
    data = TrainingData.from_history(TenantHistory.from_tenant(generate(orders=3000, seed=3)))
    return data, train_model(data, seed=5)


def test_the_default_targets_become_cutoffs_that_meet_them_on_the_winners_validation_predictions(small):
    data, result = small
    n_train, n_validation = result.row_counts["train"], result.row_counts["validation"]
    train, validation = slice(0, n_train), slice(n_train, n_train + n_validation)
    name = next(entry["name"] for entry in result.leaderboard if entry["winner"])
    winner = next(candidate for candidate in default_candidates() if candidate.name == name)
    y = data.labels[validation]
    fitted = winner.fit(data.X[train], data.labels[train], data.encoder.categorical_mask_, 5, (data.X[validation], y))
    p = fitted.predict_proba(data.X[validation])[:, 1]

    curve = result.model.validation_curve
    np.testing.assert_array_equal(curve.at_or_above, PrecisionCurve.of(p, y).at_or_above)
    np.testing.assert_array_equal(curve.invoiced_at_or_above, PrecisionCurve.of(p, y).invoiced_at_or_above)
    cutoffs = result.cutoffs
    assert cutoffs == curve.cutoffs(DEFAULT_TARGETS.invoice_precision, DEFAULT_TARGETS.hold_precision)
    assert precision_score(y, p >= cutoffs.invoice_at) >= DEFAULT_TARGETS.invoice_precision
    assert precision_score(~y, p < cutoffs.hold_below) >= DEFAULT_TARGETS.hold_precision
    assert 0.2 < np.mean((p >= cutoffs.invoice_at) | (p < cutoffs.hold_below)) < 1, "some automated, some reviewed"
    assert result.report()["cutoffs"] == {"invoice_at": cutoffs.invoice_at, "hold_below": cutoffs.hold_below}


def test_training_sees_the_missing_history_the_data_has_and_records_what_it_never_saw(small):
    """First orders (no earlier order), orders before the first Serasa query and without a limit
    are trained on, so their absence is inside the support; a customer record never is absent."""
    _, result = small
    seen = dict(zip(result.model.support.names, result.model.support.missing_seen.tolist()))
    assert seen["serasa_score"] and seen["credit_limit"] and seen["prior_invoice_rate"]
    assert not seen["customer_tenure_days"] and not seen["amount"]


def _history(labels: list[bool]) -> TenantHistory:
    orders = [
        {
            "order_id": f"o{i}",
            "customer_id": f"c{i % 7}",
            "ordered_at": START + timedelta(hours=i),
            "amount": 10 + i,
            "invoiced": label,
        }
        for i, label in enumerate(labels)
    ]
    orders += [{"order_id": "u1", "customer_id": "c1", "ordered_at": START, "amount": 1}]  # unlabeled
    return TenantHistory.from_frames(orders=orders)


@pytest.mark.parametrize(
    ("n", "invoiced", "message"),
    [
        (199, 100, "199 labeled orders"),
        (0, 0, "0 labeled orders"),
        (300, 300, "all 300 labeled orders were invoiced"),
        (300, 0, "all 300 labeled orders were refused"),
        (300, 285, "285 invoiced and 15 refused orders; at least 20 of each"),
    ],
)
def test_too_little_data_fails_with_a_readable_reason(n, invoiced, message):
    with pytest.raises(TrainingError) as caught:
        TrainingData.from_history(_history([i < invoiced for i in range(n)]))
    assert message in caught.value.reason


def test_a_time_slice_with_one_class_is_refused_by_name():
    # refusals only among the older 300 orders: the holdout (the latest 80) is all invoiced
    history = _history([not (i < 300 and i % 5 == 0) for i in range(400)])
    with pytest.raises(TrainingError, match="the holdout slice .* holds only invoiced orders"):
        train_model(TrainingData.from_history(history))


def test_metrics_match_hand_computed_values():
    labels = np.array([True, True, True, False, False, True])
    probability = np.array([0.9, 0.8, 0.4, 0.7, 0.2, 0.6])
    m = compute_metrics(labels, probability, threshold=0.5)
    assert m["confusion_matrix"] == {"tn": 1, "fp": 1, "fn": 1, "tp": 3}
    assert m["accuracy"] == pytest.approx(4 / 6)
    assert m["precision"] == pytest.approx(3 / 4) and m["recall"] == pytest.approx(3 / 4)
    assert m["roc_auc"] == pytest.approx(6 / 8)  # 6 of the 8 (positive, negative) pairs ranked right
    assert m["gini"] == pytest.approx(0.5)
    assert m["ks"] == pytest.approx(0.5)
    assert m["brier"] == pytest.approx(np.mean((probability - labels) ** 2))
    json.dumps(m)
    single = compute_metrics(np.array([True, True]), np.array([0.3, 0.9]), threshold=0.5)
    assert single["roc_auc"] is None and single["confusion_matrix"] == {"tn": 0, "fp": 0, "fn": 1, "tp": 1}
    assert youden_threshold(labels, probability) == 0.8  # J = 0.5 at 0.8 and 0.4: the first (highest) wins


def test_importing_the_package_does_not_load_the_heavy_libraries():
    code = "import sys, shared.ml; print(sorted({'pandas', 'numpy', 'sklearn'} & set(sys.modules)))"
    root = Path(__file__).resolve().parents[3]
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root
    )
    assert loaded.stdout.strip() == "[]"
