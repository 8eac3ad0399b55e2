"""A company's policy applied to scored orders: invoice, review or hold, and the rules that fired.

Rules look at the order's point-in-time features (the very columns the model scored) and each
caps the decision (`hold` or `review`); the model's cutoffs decide the rest; the strongest
outcome wins (hold > review > invoice). Two checks are not the company's to switch off: an order
of a customer the company never sent, or one outside the training data's support (`support`),
is at least reviewed, since the model's probability for it rests on nothing it has learned.
Everything is computed per rule over all orders at once; only the orders a rule fired on get
its sentence, written for all of them at once from plain Python numbers (formatting numpy
scalars one by one cost more than the rest of deciding).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from shared.ml.cutoffs import Cutoffs

HOLD, REVIEW, INVOICE = 0, 1, 2
DECISIONS = ("hold", "review", "invoice")
ACTIONS = {"hold": HOLD, "review": REVIEW}  # "off": the rule is not applied
RULES = ("new_customer", "no_limit", "over_limit", "bankruptcy", "stale_bureau", "max_amount")


@dataclass(frozen=True)
class DecisionPolicy:
    cutoffs: Cutoffs
    rules: Mapping[str, str]  # rule -> "hold" | "review" | "off"
    stale_bureau_days: int
    max_amount: float | None


@dataclass(frozen=True)
class _Check:
    rule: str
    action: int
    fired: np.ndarray
    describe: Callable[[np.ndarray], list[str]]  # the sentences for these rows


def decide(
    policy: DecisionPolicy,
    probability: np.ndarray,
    features: Mapping[str, np.ndarray],
    unknown_customer: np.ndarray,
    support_gaps: list[str | None],
) -> tuple[list[str], list[list[dict[str, str]]]]:
    """Per order, the decision and the rules that fired (`{"rule", "description"}`, in RULES order,
    then the two safety checks)."""
    cutoffs = policy.cutoffs
    decision = np.where(
        probability >= cutoffs.invoice_at, INVOICE, np.where(probability < cutoffs.hold_below, HOLD, REVIEW)
    )
    checks = [
        _Check(rule, ACTIONS[policy.rules[rule]], fired, describe)
        for rule, (fired, describe) in _rule_checks(policy, features).items()
        if policy.rules.get(rule, "off") != "off"
    ]
    checks += _safety_checks(unknown_customer, support_gaps)
    fired_rules: list[list[dict[str, str]]] = [[] for _ in range(len(probability))]
    for check in checks:
        rows = np.flatnonzero(check.fired)
        if not len(rows):
            continue
        decision[rows] = np.minimum(decision[rows], check.action)
        for row, description in zip(rows.tolist(), check.describe(rows), strict=True):
            fired_rules[row].append({"rule": check.rule, "description": description})
    return [DECISIONS[code] for code in decision.tolist()], fired_rules


def _rule_checks(
    policy: DecisionPolicy, features: Mapping[str, np.ndarray]
) -> dict[str, tuple[np.ndarray, Callable[[np.ndarray], list[str]]]]:
    """Per rule, where it fires and its sentences for given rows. The features' encoding of absent
    history (`features`): NaN limit = none in force, NaN days since query = no query."""
    amount = np.asarray(features["amount"], dtype="float64")
    limit = np.asarray(features["credit_limit"], dtype="float64")
    exposure = np.asarray(features["open_exposure"], dtype="float64")
    bureau_age = np.asarray(features["serasa_days_since_query"], dtype="float64")
    filings = np.asarray(features["serasa_bankruptcy_filings"], dtype="float64")
    no_limit = np.isnan(limit)
    with np.errstate(invalid="ignore"):
        new = (np.asarray(features["prior_orders"], dtype="float64") == 0) & no_limit & np.isnan(bureau_age)
        over = ~no_limit & (exposure + amount > limit)
        bankrupt = filings > 0
        stale = bureau_age > policy.stale_bureau_days
        too_large = amount > policy.max_amount if policy.max_amount is not None else np.zeros(len(amount), bool)
    return {
        "new_customer": (new, _same("New customer: no earlier order, credit limit or Serasa query.")),
        "no_limit": (no_limit, _same("No credit limit in force for the customer.")),
        "over_limit": (
            over,
            lambda rows: [
                f"Open invoiced amount R$ {open_:,.2f} plus this order R$ {order:,.2f} "
                f"exceed the credit limit of R$ {limit_:,.2f}."
                for open_, order, limit_ in zip(exposure[rows].tolist(), amount[rows].tolist(), limit[rows].tolist())
            ],
        ),
        "bankruptcy": (
            bankrupt,
            lambda rows: [
                f"The latest Serasa query shows {count:.0f} bankruptcy filing(s)." for count in filings[rows].tolist()
            ],
        ),
        "stale_bureau": (
            stale,
            lambda rows: [
                f"The latest Serasa query is {days:.0f} days old "
                f"(the policy wants one within {policy.stale_bureau_days})."
                for days in np.floor(bureau_age[rows]).tolist()
            ],
        ),
        "max_amount": (
            too_large,
            lambda rows: [
                f"Amount R$ {order:,.2f} is above the policy's maximum of R$ {policy.max_amount:,.2f}."
                for order in amount[rows].tolist()
            ],
        ),
    }


def _safety_checks(unknown_customer: np.ndarray, support_gaps: list[str | None]) -> list[_Check]:
    gaps = np.array([gap is not None for gap in support_gaps], dtype=bool)
    return [
        _Check(
            "unknown_customer", REVIEW, np.asarray(unknown_customer, dtype=bool),
            _same("The company never sent this customer: the model has nothing on it to go by."),
        ),
        _Check("out_of_support", REVIEW, gaps, lambda rows: [support_gaps[row] for row in rows.tolist()]),
    ]


def _same(sentence: str) -> Callable[[np.ndarray], list[str]]:
    return lambda rows: [sentence] * len(rows)
