"""One bound for `ordered_at` wherever an order is read: uploads, predictions and evaluations."""

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from shared.schemas.datasets import OrderItem
from shared.schemas.models import EvaluateRequest, PredictionRequest

ORDER = {"order_id": "O1", "customer_id": "C1", "amount": 10}
REFUSED = {**ORDER, "order_id": "O2", "ordered_at": "2025-01-01T00:00:00Z", "invoiced": False}
OTHERS = {PredictionRequest: [], EvaluateRequest: [REFUSED]}
LABEL = {PredictionRequest: {}, EvaluateRequest: {"invoiced": True}}
TOO_LATE = (datetime.now(UTC) + timedelta(days=2)).isoformat()  # a day past the bound: collection may run long before the test


@pytest.mark.parametrize("at", ["1900-01-01T00:00:00Z", "1989-12-31T23:59:59Z", TOO_LATE, "2200-01-01T00:00:00"])
@pytest.mark.parametrize("model", [PredictionRequest, EvaluateRequest])
def test_an_order_time_out_of_bounds_is_named(model, at: str) -> None:
    with pytest.raises(ValidationError) as raised:
        model.model_validate({"orders": [{**ORDER, **LABEL[model], "ordered_at": at}, *OTHERS[model]]})
    assert [error["loc"] for error in raised.value.errors()] == [("orders", 0, "ordered_at")]


def test_the_bounds_themselves_are_accepted() -> None:
    for at in ("1990-01-01T00:00:00Z", "1989-12-31T22:00:00-02:00", (datetime.now(UTC) + timedelta(hours=23)).isoformat()):
        assert OrderItem.model_validate({**ORDER, "ordered_at": at}).ordered_at.tzinfo is UTC
