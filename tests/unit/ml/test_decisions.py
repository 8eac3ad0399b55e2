"""The policy applied to scored orders: cutoffs, each rule on and off, the strongest action wins,
and orders the model has not seen are never decided by it alone."""

from __future__ import annotations

import numpy as np
import pytest

from shared.ml.cutoffs import Cutoffs
from shared.ml.decisions import RULES, DecisionPolicy, decide

CUTOFFS = Cutoffs(invoice_at=0.8, hold_below=0.3)
OFF = dict.fromkeys(RULES, "off")
NAN = np.nan
# Order 0 is unremarkable; each other order is what one rule is about.
FEATURES = {
    #                          plain  new    nolim  over   bankr  stale  large
    "amount": np.array([1000.0, 1000.0, 1000.0, 5000.0, 1000.0, 1000.0, 90000.0]),
    "credit_limit": np.array([50000.0, NAN, NAN, 6000.0, 50000.0, 50000.0, 500000.0]),
    "open_exposure": np.array([0.0, 0.0, 0.0, 2000.0, 0.0, 0.0, 0.0]),
    "serasa_days_since_query": np.array([10.0, NAN, 10.0, 10.0, 10.0, 400.0, 10.0]),
    "serasa_bankruptcy_filings": np.array([0.0, NAN, 0.0, 0.0, 2.0, 0.0, 0.0]),
    "prior_orders": np.array([5.0, 0.0, 5.0, 5.0, 5.0, 5.0, 5.0]),
}
FIRES_ON = {"new_customer": {1}, "no_limit": {1, 2}, "over_limit": {3}, "bankruptcy": {4}, "stale_bureau": {5},
            "max_amount": {6}}
N = len(FEATURES["amount"])


def run(rules=OFF, probability=0.9, unknown=(), gaps=None, max_amount=50000.0):
    policy = DecisionPolicy(cutoffs=CUTOFFS, rules=rules, stale_bureau_days=180, max_amount=max_amount)
    unknown_customer = np.isin(np.arange(N), list(unknown))
    return decide(policy, np.full(N, probability), FEATURES, unknown_customer, gaps or [None] * N)


def fired(rules_of_orders):
    return [{rule["rule"] for rule in rules} for rules in rules_of_orders]


@pytest.mark.parametrize("rule", RULES)
@pytest.mark.parametrize("action", ["review", "hold"])
def test_each_rule_caps_the_orders_it_fires_on_and_only_when_on(rule, action):
    decisions, rules = run(OFF | {rule: action})
    assert {i for i, names in enumerate(fired(rules)) if rule in names} == FIRES_ON[rule]
    assert {i for i, decision in enumerate(decisions) if decision != "invoice"} == FIRES_ON[rule]
    assert {decisions[i] for i in FIRES_ON[rule]} == {action}
    assert all(rule["description"] for rules_of in rules for rule in rules_of)

    decisions, rules = run(OFF)
    assert decisions == ["invoice"] * N and fired(rules) == [set()] * N


def test_the_cutoffs_decide_where_no_rule_fires():
    assert run(probability=0.8)[0] == ["invoice"] * N
    assert run(probability=0.5)[0] == ["review"] * N
    assert run(probability=0.29)[0] == ["hold"] * N


def test_the_strongest_action_wins():
    decisions, rules = run(OFF | {"new_customer": "review", "no_limit": "hold"})
    assert decisions[1] == "hold" and fired(rules)[1] == {"new_customer", "no_limit"}
    # A review rule never lifts a hold of the model.
    assert run(OFF | {"over_limit": "review"}, probability=0.1)[0][3] == "hold"


def test_unknown_customers_and_orders_outside_the_support_are_at_least_reviewed_whatever_the_policy():
    gaps = [None] * N
    gaps[2] = "Outside what the model was trained on: no customer record (every training order had one)."
    decisions, rules = run(OFF, probability=0.99, unknown={1}, gaps=gaps)
    assert decisions[:3] == ["invoice", "review", "review"]
    assert fired(rules)[:3] == [set(), {"unknown_customer"}, {"out_of_support"}]
    assert rules[2][0]["description"] == gaps[2]
    assert run(OFF | {"bankruptcy": "hold"}, unknown={4})[0][4] == "hold"


def test_an_over_limit_sentence_gives_the_figures():
    [rule] = run(OFF | {"over_limit": "review"})[1][3]
    assert rule["description"] == (
        "Open invoiced amount R$ 2,000.00 plus this order R$ 5,000.00 exceed the credit limit of R$ 6,000.00."
    )
