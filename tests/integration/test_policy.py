"""The decision policy on each database: versions per company, the cutoffs in force, and what a
change of policy does to the next decisions and to the log."""

from __future__ import annotations

import pytest

from shared.config import get_settings
from shared.db import transaction
from shared.db.models import Tenant
from shared.openapi import _UNLABELED
from shared.sample_data import generate
from shared.schemas.models import PredictionHistoryQuery
from shared.schemas.policy import DEFAULT_TARGETS, PolicyDocument
from shared.security import Principal
from shared.services import decision_history, policy, predictions, training
from tests.integration.conftest import upload_sample
from tests.integration.test_predictions import ORDERS, request_for

EVERYTHING_INVOICED = {"cutoffs": {"invoice_at": 0.0, "hold_below": 0.0}, "rules": dict.fromkeys(
    ("new_customer", "no_limit", "over_limit", "bankruptcy", "stale_bureau", "max_amount"), "off"
)}


def another_tenant() -> Principal:
    with transaction() as session:
        row = Tenant(company="Outra Ltda")
        session.add(row)
        session.flush()
        return Principal(tenant_id=row.id)


def put(principal: Principal, document: dict):
    return policy.put_policy(get_settings(), principal, PolicyDocument.model_validate(document))


@pytest.fixture
def trained(tenant) -> Principal:
    training.run_job(get_settings(), upload_sample(tenant, orders=1000, seed=5))
    return tenant


def pending_orders(count: int) -> list[dict]:
    """Orders of the uploaded customers (seed 5) as new ones, after everything the model saw."""
    recent = list(generate(orders=1000, seed=5).records("orders"))[-count:]
    last = max(order["ordered_at"] for order in recent)
    return [
        {**{key: value for key, value in order.items() if key != "invoiced"}, "order_id": f"NEW-{order['order_id']}",
         "ordered_at": last}
        for order in recent
    ]


def test_a_company_starts_on_the_default_and_each_put_is_a_new_version_of_its_own(tenant):
    default = policy.get_policy(get_settings(), tenant)
    assert (default.version, default.created_at, default.cutoffs) == (0, None, None)
    assert default.targets == DEFAULT_TARGETS and default.cutoffs_in_force is None  # no model yet

    first = put(tenant, {"cutoffs": {"invoice_at": 0.8, "hold_below": 0.2}})
    second = put(tenant, {"targets": {"invoice_precision": 0.97, "hold_precision": 0.8}, "max_amount": 50000,
                          "rules": {"max_amount": "hold"}})
    assert (first.version, second.version) == (1, 2) and second.created_at >= first.created_at
    assert first.cutoffs_in_force.invoice_at == 0.8 and first.cutoffs_in_force.model_version is None
    now = policy.get_policy(get_settings(), tenant)
    assert now.version == 2 and now.rules.max_amount == "hold" and float(now.max_amount) == 50000
    assert policy.in_force(tenant) == (2, PolicyDocument.model_validate(now.model_dump(
        include={"cutoffs", "targets", "rules", "stale_bureau_days", "max_amount"})))

    other = another_tenant()
    assert policy.get_policy(get_settings(), other).version == 0
    assert put(other, {"targets": {"invoice_precision": 0.9, "hold_precision": 0.6}}).version == 1
    assert policy.get_policy(get_settings(), tenant).version == 2


def test_targets_show_the_cutoffs_the_active_model_derived(trained):
    answer = policy.get_policy(get_settings(), trained)
    in_force = answer.cutoffs_in_force
    assert in_force.model_version == 1 and 0 <= in_force.hold_below <= in_force.invoice_at <= 1
    stricter = put(trained, {"targets": {"invoice_precision": 0.99, "hold_precision": 0.95}}).cutoffs_in_force
    assert stricter.invoice_at >= in_force.invoice_at and stricter.hold_below <= in_force.hold_below


def test_a_put_changes_the_next_decisions_and_the_log_keeps_both_versions(trained):
    orders = pending_orders(40)
    before = predictions.predict(get_settings(), trained, request_for(orders))
    assert before.policy_version == 0
    assert {p["decision"] for p in before.predictions} <= {"invoice", "review", "hold"}
    for p in before.predictions:  # callers reading only `invoice` keep working
        assert p["invoice"] == (p["decision"] == "invoice")

    put(trained, EVERYTHING_INVOICED)
    after = predictions.predict(get_settings(), trained, request_for(orders))
    assert after.policy_version == 1
    inside = [p for p in after.predictions if not p["rules"]]
    assert inside and all(p["decision"] == "invoice" and p["invoice"] for p in inside)
    assert [p["decision"] for p in after.predictions] != [p["decision"] for p in before.predictions]

    logged = decision_history.history(trained, PredictionHistoryQuery(order_id=orders[0]["order_id"])).items
    assert [(item.policy_version, item.decision) for item in logged] == [
        (1, after.predictions[0]["decision"]), (0, before.predictions[0]["decision"])
    ]
    assert {item.model_version for item in logged} == {1}
    assert logged[0].customer_id == orders[0]["customer_id"] and logged[0].amount == pytest.approx(orders[0]["amount"])


def test_unknown_customers_and_the_openapi_examples_are_reviewed_with_the_rule_named(trained):
    put(trained, EVERYTHING_INVOICED)  # the model alone would invoice every order
    strangers = [{**order, "customer_id": f"NEVER-SENT-{i}"} for i, order in enumerate(ORDERS)]
    for orders in (strangers, _UNLABELED):
        answer = predictions.predict(get_settings(), trained, request_for(orders))
        for p in answer.predictions:
            assert p["decision"] == "review" and not p["invoice"] and p["unknown_customer"]
            named = {rule["rule"]: rule["description"] for rule in p["rules"]}
            assert "never sent this customer" in named["unknown_customer"]
            assert "no customer record" in named["out_of_support"]
            for reason in p["reasons"]:
                assert "unknown" not in reason["description"]
                assert reason["value"] is not None or "lowered" in reason["description"]


def test_orders_far_outside_the_training_range_are_reviewed(trained):
    put(trained, EVERYTHING_INVOICED)
    [usual, far] = pending_orders(2)
    far = {**far, "payment_term_days": 3000, "amount": 9_000_000}
    answer = predictions.predict(get_settings(), trained, request_for([usual, far]))
    assert answer.predictions[0]["rules"] == [] and answer.predictions[0]["decision"] == "invoice"
    [rule] = answer.predictions[1]["rules"]
    assert rule["rule"] == "out_of_support" and answer.predictions[1]["decision"] == "review"
    assert "Payment term in days 3,000 is far above anything in training" in rule["description"]
    assert "Order amount 9,000,000 is far above" in rule["description"]
