"""Policy documents: what a PUT may say, and the field named when it may not."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from shared.schemas.base import field_errors
from shared.schemas.policy import DEFAULT_POLICY, PolicyDocument

TARGETS = {"invoice_precision": 0.98, "hold_precision": 0.9}
CUTOFFS = {"invoice_at": 0.72, "hold_below": 0.25}


def errors(document: dict) -> list[tuple]:
    with pytest.raises(ValidationError) as caught:
        PolicyDocument.model_validate(document)
    return [error.loc for error in field_errors(caught.value)]


def test_the_design_example_is_a_valid_policy_and_omitted_rules_keep_their_defaults():
    document = PolicyDocument.model_validate(
        {"cutoffs": CUTOFFS, "targets": None,
         "rules": {"new_customer": "review", "no_limit": "review", "over_limit": "review", "bankruptcy": "hold",
                   "stale_bureau": "off", "max_amount": "off"},
         "stale_bureau_days": 180, "max_amount": None}
    )
    assert document.cutoffs.invoice_at == 0.72
    partial = PolicyDocument.model_validate({"targets": TARGETS, "rules": {"stale_bureau": "hold"}})
    assert partial.rules.stale_bureau == "hold" and partial.rules.bankruptcy == "hold"
    assert partial.rules.new_customer == "review"


def test_the_default_policy_is_target_based():
    assert DEFAULT_POLICY.cutoffs is None and DEFAULT_POLICY.targets is not None


@pytest.mark.parametrize(
    ("document", "field"),
    [
        ({"targets": TARGETS, "rules": {"credit_score": "hold"}}, ("rules", "credit_score")),
        ({"targets": TARGETS, "rules": {"bankruptcy": "reject"}}, ("rules", "bankruptcy")),
        ({"cutoffs": {"invoice_at": 0.3, "hold_below": 0.6}}, ("cutoffs",)),
        ({"cutoffs": {"invoice_at": 1.2, "hold_below": 0.6}}, ("cutoffs", "invoice_at")),
        ({"cutoffs": {"invoice_at": 0.7, "hold_below": -0.1}}, ("cutoffs", "hold_below")),
        ({"targets": {"invoice_precision": 2, "hold_precision": 0.9}}, ("targets", "invoice_precision")),
        ({"cutoffs": CUTOFFS, "targets": TARGETS}, ("targets",)),
        ({}, ("targets",)),
        ({"targets": TARGETS, "stale_bureau_days": 0}, ("stale_bureau_days",)),
        ({"targets": TARGETS, "max_amount": -5}, ("max_amount",)),
        ({"targets": TARGETS, "version": 3}, ("version",)),
    ],
)
def test_a_bad_policy_names_the_field(document, field):
    assert field in errors(document)
