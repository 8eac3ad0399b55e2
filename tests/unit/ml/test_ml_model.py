"""Predictions, reasons and artifacts of both model families."""

from __future__ import annotations

import hashlib
import json
import os
import pickle

import numpy as np
import pytest
from scipy.special import expit

from shared.ml import ArtifactIntegrityError
from shared.ml.artifact import dump_model, load_model
from shared.ml.candidates import BOOSTING, LOGISTIC, default_candidates
from shared.ml.explain import LinearExplainer, _LeafWalk, explainer_for, linear_origins
from shared.ml.features import build_features
from shared.ml.training import TrainingData, train_model

FAMILIES = (LOGISTIC, BOOSTING)


@pytest.fixture(scope="module")
def requests(tenant, history):
    """500 orders to score: the unlabeled tail, as a prediction request would send them."""
    orders = tenant.orders[tenant.orders["invoiced"].isna()].drop(columns="invoiced").iloc[:500]
    return build_features(history, orders)


@pytest.fixture(scope="module", params=FAMILIES)
def trained(request, history):
    only = [candidate for candidate in default_candidates() if candidate.family == request.param]
    return train_model(TrainingData.from_history(history), seed=0, candidates=only[:1])


def test_predictions_carry_three_signed_reasons_in_plain_words(trained, requests):
    model = trained.model
    predictions = model.predict(requests, requests.index)
    probability = model.predict_proba(requests)
    np.testing.assert_allclose(predictions.probability, probability, atol=1e-12)
    assert (predictions.invoice == (probability >= model.threshold)).all()
    assert 0 < predictions.invoice.mean() < 1
    records = predictions.records()
    assert len(records) == 500 and records[0]["order_id"] == requests.index[0]
    json.dumps(records)
    for record in records:
        assert record["score"] == round(1000 * record["probability"])
        reasons = record["reasons"]
        assert len(reasons) == 3 and len({reason["feature"] for reason in reasons}) == 3
        strengths = [abs(reason["impact"]) for reason in reasons]
        assert strengths == sorted(strengths, reverse=True)
        for reason in reasons:
            word = "raised" if reason["impact"] >= 0 else "lowered"
            assert reason["description"].endswith(f"{word} the chance of invoicing"), reason
            assert -1 < reason["impact"] < 1
    assert any(reason["impact"] < 0 for record in records for reason in record["reasons"])
    assert any(reason["impact"] > 0 for record in records for reason in record["reasons"])


def test_contributions_reproduce_the_models_score(trained, requests):
    model = trained.model
    X = model.encoder.transform(requests)
    raw, contributions = model.explainer.explain(X)
    np.testing.assert_allclose(raw, model.estimator.decision_function(X), atol=1e-9)
    np.testing.assert_allclose(model.explainer.bias + contributions.sum(axis=1), raw, atol=1e-9)
    # the reported impact is the probability change when the feature's push is removed
    record = model.predict(requests.iloc[:1], requests.index[:1]).records()[0]
    columns = model.encoder.columns_
    for reason in record["reasons"]:
        c = contributions[0, columns.index(reason["feature"])]
        assert reason["impact"] == pytest.approx(expit(raw[0]) - expit(raw[0] - c), abs=1e-6)
        assert np.sign(reason["impact"]) == np.sign(c)


def test_linear_contributions_follow_the_coefficient_direction(history, requests):
    linear = [candidate for candidate in default_candidates() if candidate.family == LOGISTIC][:1]
    model = train_model(TrainingData.from_history(history), seed=0, candidates=linear).model
    assert isinstance(model.explainer, LinearExplainer)
    prepare = model.estimator.named_steps["prepare"]
    coefficients = model.estimator.named_steps["model"].coef_.ravel()
    origins = linear_origins(prepare)
    X = model.encoder.transform(requests)
    _, contributions = model.explainer.explain(X)
    signs = {}
    for position, (name, kind) in enumerate(zip(model.encoder.columns_, model.encoder.kinds_)):
        present = ~np.isnan(X[:, position])
        if kind != "numeric" or len(np.unique(X[present, position])) < 3:
            continue
        weight = coefficients[np.flatnonzero(origins == position)[0]]  # the scaled value's column
        by_value = np.argsort(X[present, position], kind="stable")
        steps = np.diff(contributions[present, position][by_value])
        assert (np.sign(steps[np.abs(steps) > 1e-12]) == np.sign(weight)).all(), name
        signs[name] = np.sign(weight)
    assert signs["serasa_score"] > 0 and signs["utilisation_after_order"] < 0


@pytest.fixture(scope="module")
def boosting(history):
    candidates = [candidate for candidate in default_candidates() if candidate.family == BOOSTING][:1]
    return train_model(TrainingData.from_history(history), seed=0, candidates=candidates).model


def test_tree_inputs_prepared_directly_equal_the_models_own_preprocessing(boosting, requests):
    model = boosting
    features = requests.copy()
    features.loc[features.index[:3], "channel"] = "never-seen"
    features.loc[features.index[3:6], ["customer_segment", "customer_state"]] = None
    X = model.encoder.transform(features)
    assert model.estimator._preprocessor is not None and np.isnan(X).any()
    np.testing.assert_array_equal(model.explainer.prepared(X), model.estimator._preprocess_X(X, reset=False))


def test_trees_walked_on_two_threads_explain_as_on_one(boosting, requests):
    X = boosting.encoder.transform(requests)
    explainer = boosting.explainer
    assert len(X) >= _LeafWalk.SHARED_FROM_ROWS > 50
    raw, contributions = explainer.explain(X)  # shared with the helper thread
    chunks = [explainer.explain(X[start : start + 50]) for start in range(0, len(X), 50)]  # one thread each
    np.testing.assert_array_equal(raw, np.concatenate([chunk_raw for chunk_raw, _ in chunks]))
    np.testing.assert_allclose(contributions, np.vstack([part for _, part in chunks]), rtol=0, atol=1e-12)
    np.testing.assert_allclose(raw, boosting.estimator.decision_function(X), atol=1e-9)


def test_an_explainer_pickled_before_the_leaf_walk_existed_still_explains(boosting, requests):
    X = boosting.encoder.transform(requests.iloc[:20])
    old_state = {key: value for key, value in boosting.explainer.__getstate__().items() if key != "_walk"}
    restored = pickle.loads(pickle.dumps(boosting.explainer))
    restored.__setstate__(old_state | {"_locators": None})
    assert "_locators" not in restored.__dict__
    np.testing.assert_array_equal(restored.explain(X)[0], boosting.explainer.explain(X)[0])


def test_artifact_round_trip_keeps_predictions_and_describes_itself(trained, requests):
    data, manifest = dump_model(
        trained.model, {"tenant_id": "t1", "holdout_metrics": trained.holdout_metrics}
    )
    assert manifest["sha256"] == hashlib.sha256(data).hexdigest() and manifest["size_bytes"] == len(data)
    assert manifest["tenant_id"] == "t1" and manifest["threshold"] == trained.model.threshold
    assert {"python", "scikit-learn", "numpy", "pandas", "joblib"} <= set(manifest["libraries"])
    assert manifest["features"] == trained.features and manifest["metrics"] == trained.holdout_metrics
    json.dumps(manifest)
    loaded = load_model(data, manifest["sha256"].upper())
    original, restored = trained.model.predict(requests, requests.index), loaded.predict(requests, requests.index)
    np.testing.assert_array_equal(original.probability, restored.probability)
    assert original.reasons == restored.reasons


class _Trap:
    """Unpickling this creates a directory: proof of whether the bytes were ever unpickled."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self):
        return (os.makedirs, (self.path,))


def test_tampered_or_foreign_bytes_are_refused_before_unpickling(trained, tmp_path):
    data, manifest = dump_model(trained.model, {})
    flipped = bytearray(data)
    flipped[len(flipped) // 2] ^= 0xFF
    with pytest.raises(ArtifactIntegrityError, match="sha256"):
        load_model(bytes(flipped), manifest["sha256"])

    trap = tmp_path / "unpickled"
    evil = pickle.dumps(_Trap(str(trap)))
    with pytest.raises(ArtifactIntegrityError, match=manifest["sha256"]):
        load_model(evil, manifest["sha256"])
    assert not trap.exists()


def test_tree_attributions_land_on_the_features_that_drive_the_label():
    # Gradient boosting puts categorical columns first internally; attributions must map back.
    rng = np.random.default_rng(0)
    n = 4000
    X = np.column_stack(
        [
            rng.normal(size=n),  # 0: noise
            rng.normal(size=n),  # 1: signal
            rng.integers(0, 4, n).astype(float),  # 2: categorical signal
            rng.normal(size=n),  # 3: noise
        ]
    )
    X[rng.random(n) < 0.1, 1] = np.nan  # missing values take their own branch
    logit = 1.5 * np.nan_to_num(X[:, 1]) + np.array([-2.0, 0.0, 1.0, 2.0])[X[:, 2].astype(int)]
    y = rng.random(n) < expit(logit)
    boosting = next(c for c in default_candidates() if c.family == BOOSTING)
    estimator = boosting.fit(
        X[:3000], y[:3000], np.array([False, False, True, False]), 0, (X[3000:], y[3000:])
    )
    explainer = explainer_for(estimator, X)
    raw, contributions = explainer.explain(X)
    np.testing.assert_allclose(raw, estimator.decision_function(X), atol=1e-9)
    strength = np.abs(contributions).mean(axis=0)
    noise = max(strength[0], strength[3])
    assert strength[1] > 4 * noise and strength[2] > 4 * noise, strength
    # the categorical attribution follows the category's effect
    by_category = [contributions[X[:, 2] == k, 2].mean() for k in range(4)]
    assert by_category == sorted(by_category)
