import json
import math
import re
import subprocess
import sys
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from shared.documents import is_valid_document, normalize_document
from shared.sample_data import DATASETS, SampleTenant, generate, rule_probability
from shared.schemas.datasets import ITEM_TYPES

ROOT = Path(__file__).resolve().parents[2]
UFS = set("AC AL AP AM BA CE DF ES GO MA MT MS MG PA PB PR PE PI RJ RN RS RO RR SC SP SE TO".split())
ATTRIBUTE_NAME = re.compile(r"[a-z][a-z0-9_]{0,62}")
# The API's own item schemas say which fields an item may carry.
FIELDS = {dataset: set(item.model_fields) for dataset, item in ITEM_TYPES.items()}
ORDERS = 3000
UNLABELED = 0.1


@pytest.fixture(scope="module")
def tenant() -> SampleTenant:
    return generate(ORDERS, seed=11, unlabeled_fraction=UNLABELED)


@pytest.fixture(scope="module")
def items(tenant: SampleTenant) -> dict[str, list[dict]]:
    return {dataset: list(tenant.records(dataset)) for dataset in DATASETS}


def instant(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    assert parsed.tzinfo is not None, value
    return parsed


def is_money(value: object, minimum: float) -> bool:
    return isinstance(value, float) and value >= minimum and round(value, 2) == value


def check_attributes(attributes: dict) -> None:
    assert isinstance(attributes, dict) and 0 < len(attributes) <= 50
    for name, value in attributes.items():
        assert ATTRIBUTE_NAME.fullmatch(name), name
        assert isinstance(value, str | int | float | bool), (name, value)


def test_records_are_plain_json_with_contract_fields_only(items) -> None:
    for dataset, rows in items.items():
        assert rows
        for row in rows:
            assert set(row) <= FIELDS[dataset], set(row) - FIELDS[dataset]
            assert None not in row.values()
        assert json.loads(json.dumps(rows)) == rows  # no numpy scalars or timestamps left


def test_customers_validate(items) -> None:
    customers = items["customers"]
    ids = [c["customer_id"] for c in customers]
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"C\d{6}", i) for i in ids)
    documents = [normalize_document(c["document"]) for c in customers]
    assert all(is_valid_document(c["document"]) for c in customers)
    assert len(set(documents)) == len(documents)
    cnpjs = [d for d in documents if len(d) == 14]
    assert len(cnpjs) > 0.7 * len(documents)
    assert any(re.search("[A-Z]", d) for d in cnpjs), "no alphanumeric CNPJ"
    assert any(len(d) == 11 for d in documents), "no CPF"
    for customer in customers:
        assert customer.get("state", "SP") in UFS
        date.fromisoformat(customer["customer_since"])
        check_attributes(customer["attributes"])
        assert isinstance(customer["attributes"]["sector"], str)
        assert (
            isinstance(customer["attributes"]["employees"], int) and customer["attributes"]["employees"] >= 1
        )
        assert 1 <= len(customer["name"]) <= 200


def test_customer_since_precedes_first_order(items) -> None:
    since = {c["customer_id"]: date.fromisoformat(c["customer_since"]) for c in items["customers"]}
    first: dict[str, date] = {}
    for order in items["orders"]:
        day = instant(order["ordered_at"]).date()
        first[order["customer_id"]] = min(first.get(order["customer_id"], day), day)
    assert first
    assert all(since[customer] < day for customer, day in first.items())


def test_credit_limits_validate(items) -> None:
    customers = {c["customer_id"] for c in items["customers"]}
    limits = items["credit_limits"]
    keys = [(row["customer_id"], row["valid_from"]) for row in limits]
    assert len(set(keys)) == len(keys)
    for row in limits:
        assert row["customer_id"] in customers
        assert is_money(row["limit"], 0.0)
        if "valid_until" in row:
            assert date.fromisoformat(row["valid_until"]) >= date.fromisoformat(row["valid_from"])
    per_customer = Counter(row["customer_id"] for row in limits)
    assert len(per_customer) < len(customers), "every customer has a limit"
    assert max(per_customer.values()) >= 2, "no limit ever changes"
    assert any("valid_until" not in row for row in limits) and any("valid_until" in row for row in limits)


def test_serasa_queries_validate(items) -> None:
    customers = {c["customer_id"] for c in items["customers"]}
    queries = items["serasa_queries"]
    keys = [(row["customer_id"], instant(row["queried_at"])) for row in queries]
    assert len(set(keys)) == len(keys)
    for row in queries:
        assert row["customer_id"] in customers
        if "score" in row:
            assert isinstance(row["score"], int) and 0 <= row["score"] <= 1000
        for field in ("negative_records", "protests", "bounced_checks", "lawsuits", "bankruptcy_filings"):
            assert isinstance(row[field], int) and row[field] >= 0
        assert is_money(row["negative_amount"], 0.0) and is_money(row["protests_amount"], 0.0)
        assert (row["negative_amount"] > 0) == (row["negative_records"] > 0)
        check_attributes(row["attributes"])
    assert any("score" not in row for row in queries), "score is never absent"
    assert len({row["customer_id"] for row in queries}) < len(customers), "every customer was queried"


def test_orders_validate(items) -> None:
    customers = {c["customer_id"] for c in items["customers"]}
    orders = items["orders"]
    ids = [o["order_id"] for o in orders]
    assert len(set(ids)) == len(ids) == ORDERS
    assert all(re.fullmatch(r"O\d{7}", i) for i in ids)
    channels = Counter(o.get("channel") for o in orders)
    assert 3 <= len(channels) <= 6
    for order in orders:
        assert order["customer_id"] in customers
        instant(order["ordered_at"])
        assert is_money(order["amount"], 0.01)
        assert isinstance(order["payment_term_days"], int) and 0 <= order["payment_term_days"] <= 120
        check_attributes(order["attributes"])
        assert isinstance(order["attributes"]["discount_pct"], float)
        assert isinstance(order["attributes"]["rush"], bool)
        assert isinstance(order.get("invoiced", False), bool)
    assert len({o["payment_term_days"] for o in orders}) >= 5


def test_unlabeled_orders_are_the_most_recent(items) -> None:
    orders = sorted(items["orders"], key=lambda o: instant(o["ordered_at"]))
    unlabeled = [i for i, order in enumerate(orders) if "invoiced" not in order]
    assert len(unlabeled) == round(UNLABELED * ORDERS)
    assert unlabeled == list(range(ORDERS - len(unlabeled), ORDERS))


def test_same_seed_same_tenant_other_seed_other_tenant() -> None:
    first, again, other = generate(800, seed=5), generate(800, seed=5), generate(800, seed=6)
    for dataset in DATASETS:
        assert list(first.records(dataset)) == list(again.records(dataset))
    pd.testing.assert_series_equal(first.true_probability, again.true_probability)
    assert list(first.records("orders")) != list(other.records("orders"))


def test_truth_is_recomputed_exactly_from_the_datasets(tenant) -> None:
    # The labels were drawn in a loop; rule_probability re-derives p from the data alone.
    recomputed = rule_probability(
        tenant.customers, tenant.credit_limits, tenant.serasa_queries, tenant.orders
    )
    labeled = tenant.orders["invoiced"].notna().to_numpy()
    np.testing.assert_array_equal(recomputed.to_numpy()[labeled], tenant.true_probability.to_numpy()[labeled])


def _past_and_perturbed_future(tenant: SampleTenant, cutoff: pd.Timestamp) -> tuple[tuple, tuple]:
    orders, limits, queries = tenant.orders, tenant.credit_limits, tenant.serasa_queries
    future_orders = orders["ordered_at"] >= cutoff
    future_queries = queries["queried_at"] >= cutoff
    future_limits = limits["valid_from"] > cutoff.tz_localize(None).floor("D")
    past = (tenant.customers, limits[~future_limits], queries[~future_queries], orders[~future_orders])

    changed_orders = orders.copy()
    changed_orders.loc[future_orders, "amount"] *= 3
    changed_orders.loc[future_orders, "invoiced"] = ~changed_orders.loc[future_orders, "invoiced"].fillna(
        False
    )
    changed_queries = queries.copy()
    changed_queries.loc[future_queries, ["score", "bankruptcy_filings"]] = [0, 1]
    awful_query = queries.iloc[[0]].assign(
        queried_at=cutoff,
        score=0,
        protests=5,
        bankruptcy_filings=1,
        customer_id=orders["customer_id"].iloc[0],
    )
    changed_limits = limits.copy()
    changed_limits.loc[future_limits, "limit"] = 0.0
    perturbed = (tenant.customers, changed_limits, pd.concat([changed_queries, awful_query]), changed_orders)
    return past, perturbed


def test_later_data_never_changes_an_earlier_probability() -> None:
    tenant = generate(2500, seed=13)
    cutoff = tenant.orders["ordered_at"].iloc[1500]
    before = (tenant.orders["ordered_at"] < cutoff).to_numpy()
    past, perturbed = _past_and_perturbed_future(tenant, cutoff)

    on_past = rule_probability(*past)
    on_perturbed = rule_probability(*perturbed)
    expected = tenant.true_probability[before]
    np.testing.assert_array_equal(on_past.to_numpy(), expected.to_numpy())
    np.testing.assert_array_equal(on_perturbed.to_numpy()[before], expected.to_numpy())
    # The perturbation is not a no-op: orders from the cutoff on do see it.
    assert (on_perturbed.to_numpy()[~before] != tenant.true_probability.to_numpy()[~before]).mean() > 0.5


def test_probability_uses_only_data_strictly_before_the_order() -> None:
    tenant = generate(1500, seed=17)
    orders = tenant.orders
    for position in (100, 700, 1400):
        order = orders.iloc[position]
        at = order["ordered_at"]
        history = orders[(orders["customer_id"] == order["customer_id"]) & (orders["ordered_at"] <= at)]
        queries = tenant.serasa_queries[tenant.serasa_queries["queried_at"] < at]
        limits = tenant.credit_limits[tenant.credit_limits["valid_from"] <= at.tz_localize(None)]
        alone = rule_probability(tenant.customers, limits, queries, history)
        assert alone[order["order_id"]] == tenant.true_probability[order["order_id"]]

        # A query one second before the order is seen; one at the same instant is not.
        awful = tenant.serasa_queries.iloc[[0]].assign(
            customer_id=order["customer_id"], score=0, protests=5, bankruptcy_filings=1
        )
        same_instant = rule_probability(
            tenant.customers, limits, pd.concat([queries, awful.assign(queried_at=at)]), history
        )
        just_before = rule_probability(
            tenant.customers,
            limits,
            pd.concat([queries, awful.assign(queried_at=at - timedelta(seconds=1))]),
            history,
        )
        assert same_instant[order["order_id"]] == alone[order["order_id"]]
        assert just_before[order["order_id"]] < alone[order["order_id"]]


def test_open_exposure_of_earlier_invoiced_orders_lowers_p() -> None:
    tenant = generate(1500, seed=19)
    orders = tenant.orders.reset_index(drop=True)
    pairs = orders.merge(orders, on="customer_id", suffixes=("", "_later"))
    due = pairs["ordered_at"] + pd.to_timedelta(pairs["payment_term_days"], unit="D")
    open_at_later = (
        pairs["invoiced"].to_numpy(bool)
        & (pairs["ordered_at"] < pairs["ordered_at_later"]).to_numpy()
        & (pairs["ordered_at_later"] < due).to_numpy()
    )
    exposed = set(pairs.loc[open_at_later, "order_id_later"])
    assert len(exposed) > 100

    nothing_invoiced = orders.assign(invoiced=pd.array([False] * len(orders), dtype="boolean"))
    p = rule_probability(tenant.customers, tenant.credit_limits, tenant.serasa_queries, nothing_invoiced)
    truth = tenant.true_probability
    is_exposed = orders["order_id"].isin(exposed).to_numpy()
    assert (p.to_numpy()[is_exposed] > truth.to_numpy()[is_exposed]).all()
    np.testing.assert_array_equal(p.to_numpy()[~is_exposed], truth.to_numpy()[~is_exposed])


def test_bayes_auc_and_invoiced_rate_are_in_the_target_band() -> None:
    tenant = generate(20_000, seed=7)
    labels = tenant.orders["invoiced"].astype(bool)
    assert 0.80 <= tenant.bayes_auc() <= 0.90
    assert 0.60 <= labels.mean() <= 0.80
    # the truth is calibrated: labels agree with the probabilities they were drawn from
    assert abs(labels.mean() - tenant.true_probability.mean()) < 0.02


def test_bayes_auc_ignores_unlabeled_orders(tenant) -> None:
    assert 0.5 < tenant.bayes_auc() < 1.0
    assert tenant.orders["invoiced"].isna().sum() == round(UNLABELED * ORDERS)


def test_batches_split_records_in_order(tenant, items) -> None:
    batches = list(tenant.batches("orders", size=500))
    assert len(batches) == math.ceil(ORDERS / 500)
    assert all(1 <= len(batch) <= 500 for batch in batches)
    assert [row for batch in batches for row in batch] == items["orders"]


def test_unknown_dataset_is_refused(tenant) -> None:
    with pytest.raises(ValueError):
        next(tenant.records("invoices"))


def test_cli_writes_the_five_files(tmp_path: Path) -> None:
    out = tmp_path / "tenant"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "shared.sample_data",
            "--out",
            str(out),
            "--orders",
            "1200",
            "--seed",
            "3",
            "--unlabeled-fraction",
            "0.25",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    expected = generate(1200, seed=3, unlabeled_fraction=0.25)
    lines = {path.stem: path.read_text(encoding="utf-8").splitlines() for path in out.glob("*.jsonl")}
    assert set(lines) == {*DATASETS, "truth"}
    for dataset in DATASETS:
        assert len(lines[dataset]) == len(getattr(expected, dataset))
        assert f"{dataset}: {len(getattr(expected, dataset))}" in result.stdout
    assert sum("invoiced" not in json.loads(line) for line in lines["orders"]) == 300
    truth = [json.loads(line) for line in lines["truth"]]
    assert [t["order_id"] for t in truth] == [json.loads(line)["order_id"] for line in lines["orders"]]
    assert all(0.0 < t["true_probability"] < 1.0 for t in truth)
    assert f"bayes_auc: {expected.bayes_auc():.4f}" in result.stdout
