"""Point-in-time features: hand-checked values, request scoring, and the 'later data' property."""

from __future__ import annotations

import json
import sys
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from shared.ml import features
from shared.ml.features import FEATURE_LABELS, build_features
from shared.ml.frames import TenantHistory, normalise_orders
from shared.sample_data import generate

SERASA_ZERO = {
    "negative_records": 0,
    "negative_amount": 0,
    "protests": 0,
    "protests_amount": 0,
    "bounced_checks": 0,
    "lawsuits": 0,
    "bankruptcy_filings": 0,
}


def tiny_history() -> TenantHistory:
    return TenantHistory.from_frames(
        customers=[
            {
                "customer_id": "c1",
                "customer_since": date(2023, 1, 1),
                "segment": "retail",
                "state": "SP",
                "attributes": {"sector": "food", "employees": 10},
            },
            {"customer_id": "c2"},
        ],
        credit_limits=[
            {"customer_id": "c1", "valid_from": "2024-01-01", "valid_until": None, "limit": 1000},
            # a temporary raise overlapping the open-ended limit
            {"customer_id": "c1", "valid_from": "2024-03-01", "valid_until": "2024-03-31", "limit": 5000},
        ],
        serasa_queries=[
            {"customer_id": "c1", "queried_at": "2024-01-10T00:00:00Z", "score": 500}
            | SERASA_ZERO
            | {"negative_records": 1, "negative_amount": 10.5, "attributes": {"band": "B"}},
            # exactly at o1's time: not "strictly before" o1
            {"customer_id": "c1", "queried_at": "2024-02-01T10:00:00Z", "score": 600} | SERASA_ZERO,
            {"customer_id": "c1", "queried_at": "2024-03-20T00:00:00Z", "score": 700} | SERASA_ZERO,
        ],
        orders=[
            _order("o1", "c1", "2024-02-01T10:00:00", 100, 30, True),
            _order("o2", "c1", "2024-02-15T10:00:00", 200, 0, False),
            _order("o3", "c1", "2024-03-05T10:00:00", 300, 60, True) | {"attributes": {"rush": True}},
            _order("o4", "c1", "2024-04-05T10:00:00", 400, 10, None),
            _order("o5", "c2", "2024-04-05T10:00:00", 50, 0, True),
        ],
    )


def _order(order_id, customer_id, ordered_at, amount, term, invoiced) -> dict:
    return {
        "order_id": order_id,
        "customer_id": customer_id,
        "ordered_at": ordered_at,
        "amount": amount,
        "payment_term_days": term,
        "invoiced": invoiced,
    }


def test_hand_checked_values_on_a_tiny_history():
    f = build_features(tiny_history())
    assert list(f.index) == ["o1", "o2", "o3", "o4", "o5"]
    assert list(f.columns[: len(FEATURE_LABELS)]) == list(FEATURE_LABELS)

    # limit in force: open-ended 1000, except while the temporary 5000 (latest valid_from) runs
    assert f["credit_limit"].tolist()[:4] == [1000, 1000, 5000, 1000]
    # exposure: o1 (due Mar 2) is open at o2 only; o2 refused; o3 (due May 4) open at o4
    assert f["open_exposure"].tolist() == [0, 100, 0, 300, 0]
    assert f["open_orders"].tolist() == [0, 1, 0, 1, 0]
    assert f.loc["o4", "exposure_to_limit"] == pytest.approx(0.3)
    assert f.loc["o4", "amount_to_limit"] == pytest.approx(0.4)
    assert f.loc["o4", "utilisation_after_order"] == pytest.approx(0.7)
    # Serasa: latest strictly before, and the count in [t - 90d, t)
    assert f["serasa_score"].tolist()[:4] == [500, 600, 600, 700]
    assert f["serasa_queries_90d"].tolist() == [1, 2, 2, 3, 0]
    assert f.loc["o1", "serasa_negative_amount"] == 10.5
    assert f.loc["o1", "serasa_days_since_query"] == pytest.approx(22 + 10 / 24)
    # earlier orders: count, refusals and invoice rate of the labeled ones (o4 is unlabeled)
    assert f["prior_orders"].tolist() == [0, 1, 2, 3, 0]
    assert f["prior_refused_orders"].tolist() == [0, 0, 1, 1, 0]
    assert f.loc["o2", "prior_invoice_rate"] == 1.0
    assert f.loc["o3", "prior_invoice_rate"] == 0.5
    assert f.loc["o4", "prior_invoice_rate"] == pytest.approx(2 / 3)
    assert f.loc["o4", "prior_average_amount"] == 200
    assert f.loc["o1", "customer_tenure_days"] == pytest.approx(396 + 10 / 24)
    # attributes of the customer, of the order and of the latest query
    assert f["customer_attr_sector"].tolist()[:4] == ["food"] * 4
    assert f.loc["o3", "order_attr_rush"] == True
    assert f.loc["o1", "serasa_attr_band"] == "B" and pd.isna(f.loc["o2", "serasa_attr_band"])

    # missing context stays missing; counts that are known to be zero are zero
    o5 = f.loc["o5"]
    for name in (
        "credit_limit",
        "amount_to_limit",
        "serasa_score",
        "serasa_days_since_query",
        "prior_invoice_rate",
        "customer_tenure_days",
        "customer_attr_employees",
    ):
        assert pd.isna(o5[name]), name
    assert pd.isna(f.loc["o1", "prior_invoice_rate"])


def test_a_request_order_never_sees_its_stored_self_and_limits_follow_the_day():
    history = tiny_history()
    requests = [
        _order("o3", "c1", "2024-06-05T10:00:00", 300, 0, None),  # stored at Mar 5 and still open
        _order("n1", "c1", "2024-03-31T23:59:00", 10, 0, None),
        _order("n2", "c1", "2024-04-01T00:01:00", 10, 0, None),
        _order("n3", "c9", "2024-04-01T00:01:00", 10, 0, None),
    ]
    f = build_features(history, pd.DataFrame(requests))
    assert list(f.index) == ["o3", "n1", "n2", "n3"]
    assert f.loc["o3", "prior_orders"] == 3  # o1, o2, o4 - not itself
    assert f.loc["o3", "prior_invoice_rate"] == 0.5
    assert f.loc["o3", "open_exposure"] == 0  # its own open 300 does not count
    assert f.loc["n1", "open_exposure"] == 300  # the stored o3 does count for other orders
    assert f.loc["n1", "credit_limit"] == 5000  # valid_until is inclusive
    assert f.loc["n2", "credit_limit"] == 1000
    assert f.loc["n3", "prior_orders"] == 0 and pd.isna(f.loc["n3", "credit_limit"])


def test_normalisation_accepts_what_callers_have_and_empty_frames_work():
    aware = datetime(2024, 2, 1, 7, 0, tzinfo=timezone(timedelta(hours=-3)))
    history = TenantHistory.from_frames(
        orders=[
            _order("a", "c", aware, "12.50", None, None),
            _order("b", "c", "2024-02-01T10:00:00", 1, 5, 1),
        ]
    )
    orders = history.orders
    assert str(orders["ordered_at"].dtype) == "datetime64[ns, UTC]"
    assert orders["ordered_at"].iloc[0] == orders["ordered_at"].iloc[1]  # -03:00 and naive UTC agree
    assert orders["amount"].tolist() == [12.5, 1.0]
    assert orders["payment_term_days"].tolist() == [0, 5]
    assert orders["invoiced"].isna().iloc[0] and orders["invoiced"].iloc[1] == True

    empty = TenantHistory.from_frames()
    assert build_features(empty).shape == (0, len(FEATURE_LABELS))
    scored = build_features(empty, [_order("x", "c", "2024-01-01T00:00:00", 5, 0, None)])
    assert scored.loc["x", "prior_orders"] == 0 and pd.isna(scored.loc["x", "serasa_score"])


def test_history_restricted_to_the_scored_customers_gives_the_same_features():
    tenant = generate(orders=3000, seed=11)
    history = TenantHistory.from_tenant(tenant)
    requests = (
        tenant.orders.iloc[-300:]
        .drop(columns="invoiced")
        .assign(ordered_at=lambda o: o["ordered_at"] + pd.Timedelta(days=3))
    )
    full = build_features(history, requests)
    restricted = build_features(history.for_customers(requests["customer_id"]), requests)
    pd.testing.assert_frame_equal(restricted, full[restricted.columns])
    assert full["prior_orders"].gt(0).mean() > 0.9, "the requests do have context to lose"


def test_rows_rewritten_in_place_index_exactly_as_a_history_built_with_them(monkeypatch):
    """What a scoring context does with a batch: replace the rows it wrote and re-index only
    their dataset; orders are taken from and added to the ledger, which gives exactly the sums
    of a ledger built anew (money is summed in cents)."""
    before = tiny_history()
    rewritten = TenantHistory.from_frames(
        customers=[{"customer_id": "c2", "segment": "wholesale", "attributes": {"sector": "steel"}}],
        orders=[
            _order("o2", "c1", "2024-02-15T10:00:00", 250.1, 30, True),  # updated
            _order("o5", "c1", "2024-04-05T10:00:00", 50.2, 0, True),  # moved to another customer
            _order("o6", "c2", "2024-04-06T10:00:00", 70.3, 10, False),  # new
        ],
    )
    requests = normalise_orders([
        _order(f"r{month}-{day}-{c}", c, f"2024-{month:02d}-{day:02d}T12:00:00", 80, 0, None)
        for c in ("c1", "c2", "c3") for month in (2, 3, 4) for day in (1, 10, 20)
    ] + tiny_history().orders.to_dict("records"))
    previous = features.HistoryIndex(before)
    monkeypatch.setattr(features._RewrittenOrders, "REWRITTEN_SHARE", 10)  # the tiny ledger is patched too

    def assert_exact(index: features.HistoryIndex, history: TenantHistory) -> None:
        pd.testing.assert_frame_equal(index.features(requests), build_features(history, requests), check_exact=True)

    orders_only, changes = before.replaced({"orders": rewritten.orders}, {"orders": ("order_id", ["o2", "o5", "o6"])})
    assert list(changes["orders"][0]["order_id"]) == ["o2", "o5"] and orders_only.customers is before.customers
    index = features.HistoryIndex(orders_only, previous, changes)
    assert index._customers is previous._customers and isinstance(index._ledger, features._RewrittenOrders)
    assert_exact(index, orders_only)

    both, changes = orders_only.replaced({"customers": rewritten.customers}, {"customers": ("customer_id", ["c2"])})
    index = features.HistoryIndex(both, index, changes)
    assert index._limits is previous._limits and isinstance(index._ledger, features._RewrittenOrders)
    assert_exact(index, both)
    assert index.features(requests).loc["r3-10-c2", "customer_segment"] == "wholesale"

    again = TenantHistory.from_frames(orders=[_order("o2", "c2", "2024-01-15T10:00:00", 99.99, 45, True)])
    twice, changes = both.replaced({"orders": again.orders}, {"orders": ("order_id", ["o2"])})
    index = features.HistoryIndex(twice, index, changes)  # rewritten a second time
    assert_exact(index, twice)

    newcomer = TenantHistory.from_frames(orders=[_order("o7", "c3", "2024-02-01T10:00:00", 90, 0, True)])
    joined, changes = twice.replaced({"orders": newcomer.orders}, {"orders": ("order_id", ["o7"])})
    index = features.HistoryIndex(joined, index, changes)  # a new customer: indexed anew
    assert index._customers is not previous._customers and isinstance(index._ledger, features._OrderLedger)
    assert_exact(index, joined)
    assert index.features(requests).loc["r3-10-c3", "prior_orders"] == 1


def test_attributes_as_stored_json_text_and_parsed_in_chunks_flatten_as_dicts_in_one_go(monkeypatch):
    history = TenantHistory.from_tenant(generate(orders=600, seed=12))
    whole = build_features(history)
    assert {"order_attr_rush", "customer_attr_sector", "serasa_attr_inquiries_90d"} <= set(whole.columns)
    as_text = TenantHistory.from_frames(
        *(
            frame.assign(attributes=[v and json.dumps(v) for v in frame["attributes"]]) if "attributes" in frame else frame
            for frame in history.frames
        )
    )
    assert isinstance(as_text.orders["attributes"].dropna().iloc[0], str)
    monkeypatch.setattr(features, "ATTRIBUTE_CHUNK", 7)
    pd.testing.assert_frame_equal(build_features(as_text), whole)


# --- property: data dated after an order never changes its features ----------------------------

START = datetime(2024, 1, 1, tzinfo=UTC)
minutes = st.integers(min_value=0, max_value=60 * 24 * 120)
# later data starts at the order's own instant or just after it, where mistakes would show
offsets = st.one_of(st.just(0), st.integers(1, 120), minutes)
customer = st.sampled_from(["a", "b"])


def order_rows(at):
    return st.lists(
        st.tuples(
            customer,
            at,
            st.integers(1, 5000),
            st.sampled_from([0, 7, 30]),
            st.sampled_from([True, False, None]),
            st.sampled_from([None, {"k": 1}, {"k": 2.5, "z": "x"}]),
        ),
        min_size=1,
        max_size=12,
    )


def query_rows(at):
    return st.lists(st.tuples(customer, at, st.integers(0, 1000), st.integers(0, 3)), max_size=6)


def limit_rows(days):
    return st.lists(
        st.tuples(customer, days, st.one_of(st.none(), st.integers(0, 60)), st.integers(0, 9000)),
        max_size=4,
    )


def _frames(orders, limits, queries, prefix: str) -> dict[str, list[dict]]:
    return {
        "orders": [
            {
                "order_id": f"{prefix}o{i}",
                "customer_id": c,
                "ordered_at": START + timedelta(minutes=m),
                "amount": amount,
                "payment_term_days": term,
                "invoiced": label,
                "attributes": attributes,
            }
            for i, (c, m, amount, term, label, attributes) in enumerate(orders)
        ],
        "credit_limits": [
            {
                "customer_id": c,
                "valid_from": (START + timedelta(days=d)).date(),
                "valid_until": None if span is None else (START + timedelta(days=d + span)).date(),
                "limit": limit,
            }
            for c, d, span, limit in limits
        ],
        "serasa_queries": [
            {
                "customer_id": c,
                "queried_at": START + timedelta(minutes=m),
                "score": score,
                "negative_records": negatives,
                "attributes": {"n": negatives},
            }
            | {"protests": 0}
            for c, m, score, negatives in queries
        ],
    }


# No shrink phase: shrinking these multi-frame examples takes minutes, past the test timeout.
@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
)
@given(
    order_rows(minutes),
    limit_rows(st.integers(0, 120)),
    query_rows(minutes),
    order_rows(offsets),
    limit_rows(st.one_of(st.just(0), st.integers(0, 120))),
    query_rows(offsets),
    st.data(),
)
def test_later_data_never_changes_an_earlier_orders_features(
    orders, limits, queries, more_orders, more_limits, more_queries, data
):
    target = data.draw(st.integers(0, len(orders) - 1), label="target order")
    t = START + timedelta(minutes=orders[target][1])
    base = _frames(orders, limits, queries, "base-")
    later = _frames(
        # same instant counts as "not before" for orders and queries; limits start the next day
        [(c, orders[target][1] + m, *rest) for c, m, *rest in more_orders],
        [(c, (t.date() - START.date()).days + 1 + d, *rest) for c, d, *rest in more_limits],
        [(c, orders[target][1] + m, *rest) for c, m, *rest in more_queries],
        "later-",
    )
    before = TenantHistory.from_frames(customers=[{"customer_id": "a", "attributes": {"s": "x"}}], **base)
    after = TenantHistory.from_frames(
        customers=[{"customer_id": "a", "attributes": {"s": "x"}}],
        **{name: base[name] + later[name] for name in base},
    )
    order_id = f"base-o{target}"
    for scored in (None, [base["orders"][target]]):
        old = build_features(before, scored).loc[[order_id]]
        new = build_features(after, scored).loc[[order_id]]
        pd.testing.assert_frame_equal(new[old.columns], old, check_dtype=False)
        assert new.drop(columns=old.columns).isna().all(axis=None)


def python_calls(history: TenantHistory) -> int:
    """Calls of our feature code's Python functions (generators and comprehensions included)
    while building the history's features: a per-order loop would make them grow with the orders."""
    calls = 0
    ours = str(Path(features.__file__).parent)

    def count(frame, event, _arg):
        nonlocal calls
        calls += event == "call" and frame.f_code.co_filename.startswith(ours)

    sys.setprofile(count)
    try:
        build_features(history)
    finally:
        sys.setprofile(None)
    return calls


def test_features_are_vectorised_so_python_work_does_not_grow_with_the_orders():
    small = python_calls(TenantHistory.from_tenant(generate(orders=2_000, seed=5)))
    large = python_calls(TenantHistory.from_tenant(generate(orders=40_000, seed=5)))
    assert small > 50 and large == small, (small, large)
