"""The prediction path against the training path: a few request orders, scored with a context
restricted to their customers, get the features and contributions the general code gives."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest

from shared.ml.candidates import LOGISTIC, default_candidates
from shared.ml.explain import LinearExplainer, _dense
from shared.ml.features import CONTEXT_ORDER_COLUMNS, HistoryIndex, build_features
from shared.ml.frames import ORDER_COLUMNS, TenantHistory, normalise_orders
from shared.ml.training import TrainingData, train_model
from shared.schemas.models import PredictionRequest
from shared.services.scoring import order_columns


def test_stored_orders_scored_as_requests_get_their_training_features(tenant, history):
    trained = build_features(history)
    scored = build_features(history, tenant.orders.drop(columns="invoiced"))
    pd.testing.assert_frame_equal(scored, trained)


def request_mix(tenant: object) -> pd.DataFrame:
    """New orders of known customers, stored orders sent again later, an unknown customer."""
    stored = tenant.orders.drop(columns="invoiced")
    later = stored.iloc[::97].assign(ordered_at=lambda o: o["ordered_at"] + pd.Timedelta(days=45))
    new = stored.iloc[-25:].assign(
        order_id=lambda o: "new-" + o["order_id"], ordered_at=lambda o: o["ordered_at"] + pd.Timedelta(days=2)
    )
    stranger = new.iloc[:1].assign(order_id="stranger", customer_id="nobody", attributes=None)
    return pd.concat([later, new, stranger], ignore_index=True)


def test_an_order_scored_alone_on_its_customers_context_matches_the_batch(tenant, history):
    requests = request_mix(tenant)
    batch = build_features(history, requests)
    assert batch["prior_orders"].gt(0).mean() > 0.9 and batch["open_exposure"].gt(0).any()
    for position in range(len(requests)):
        one = requests.iloc[[position]]
        context = history.for_customers(one["customer_id"])
        context = TenantHistory.from_frames(
            context.customers, context.credit_limits, context.serasa_queries, context.orders[list(CONTEXT_ORDER_COLUMNS)]
        )
        alone = build_features(context, one)
        expected = batch.iloc[[position]]
        # dtypes follow the values present (a lone order's missing channel stays None, not str NaN)
        pd.testing.assert_frame_equal(_values(alone), _values(expected[alone.columns]))
        assert expected.drop(columns=alone.columns).isna().all(axis=None)


def _values(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.astype(object).where(frame.notna(), np.nan)


def test_columns_as_the_database_hands_them_over_normalise_like_rows(tenant):
    orders = tenant.orders.iloc[:300]
    rows = orders.astype({"ordered_at": object}).to_dict("records")
    columns = {name: tuple(orders[name].astype(object)) for name in ORDER_COLUMNS}
    columns["ordered_at"] = orders["ordered_at"].dt.tz_localize(None).to_numpy()  # naive UTC, as stored
    from_rows = TenantHistory.from_frames(orders=rows).orders
    pd.testing.assert_frame_equal(TenantHistory.from_frames(orders=columns).orders, from_rows)
    pd.testing.assert_frame_equal(TenantHistory.from_frames(orders=orders).orders, from_rows)
    assert str(from_rows["ordered_at"].dtype) == "datetime64[ns, UTC]"


@pytest.fixture(scope="module")
def linear(history):
    candidates = [candidate for candidate in default_candidates() if candidate.family == LOGISTIC][:1]
    return train_model(TrainingData.from_history(history), seed=0, candidates=candidates).model


def test_linear_contributions_equal_the_pipelines_for_known_unknown_and_missing_categories(tenant, history, linear):
    features = build_features(history, request_mix(tenant))
    features.loc[features.index[:3], "channel"] = "never-seen"
    features.loc[features.index[3:6], "customer_segment"] = None
    X = linear.encoder.transform(features)
    explainer = linear.explainer
    assert isinstance(explainer, LinearExplainer)
    raw, contributions = explainer.explain(X)
    through_pipeline = _dense(explainer._prepare.transform(X) @ explainer._by_feature) - explainer._offset
    np.testing.assert_array_equal(contributions, through_pipeline)
    np.testing.assert_allclose(raw, linear.estimator.decision_function(X), atol=1e-9)


def test_lookups_built_while_scoring_stay_out_of_the_artifact(tenant, history, linear):
    features = build_features(history, request_mix(tenant).iloc[:2])
    linear.predict(features, features.index)
    assert linear.encoder.__dict__.get("_lookups") and linear.explainer.__dict__.get("_parts")
    copy = pickle.loads(pickle.dumps(linear))
    assert "_lookups" not in copy.encoder.__dict__ and copy.explainer._parts is None
    features = build_features(history, request_mix(tenant))
    np.testing.assert_array_equal(
        copy.predict(features, features.index).probability, linear.predict(features, features.index).probability
    )


def test_validated_request_orders_score_as_their_normalised_frame(tenant, history, linear):
    """The request path (JSON -> validated orders -> typed columns -> feature arrays) gives the
    features, encoding and reasons of the general path through normalised frames."""
    requests = request_mix(tenant)
    body = '{"orders": %s}' % requests.to_json(orient="records", date_format="iso")
    orders = PredictionRequest.model_validate_json(body).orders
    index = HistoryIndex(history)
    columns = index.columns(order_columns(orders))
    frame = index.features(normalise_orders(requests))
    assert list(columns) == list(frame.columns)
    pd.testing.assert_frame_equal(pd.DataFrame(columns, index=frame.index), frame)
    np.testing.assert_array_equal(linear.encoder.transform(columns), linear.encoder.transform(frame))
    order_ids = [order.order_id for order in orders]
    assert linear.predict(columns, order_ids).records() == linear.predict(frame, frame.index).records()


def test_one_index_answers_request_after_request_as_a_fresh_build_would(tenant, history):
    index = HistoryIndex(history)
    requests = request_mix(tenant)
    first, second = requests.iloc[::2], requests.iloc[1::2]
    for orders in (first, second, first):  # scoring must leave the cached index as it was
        pd.testing.assert_frame_equal(index.features(normalise_orders(orders)), build_features(history, orders))
    assert index.has_customers(["nobody", tenant.customers["customer_id"].iloc[0]]) == [False, True]
