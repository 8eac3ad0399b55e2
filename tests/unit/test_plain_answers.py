"""Answers encoded by orjson from their fields are byte for byte what pydantic's serializer makes."""

import math

from shared.schemas.models import PredictionResponse


def test_a_prediction_answer_encodes_as_pydantic_would():
    reasons = [
        {"feature": "customer_attr_cidade", "description": "Customer attribute 'cidade' (São Paulo) raised it",
         "value": "São Paulo", "impact": 0.123456},
        {"feature": "amount", "description": 'Order "amount" (1,234.50)\nlowered it', "value": 1234.5, "impact": -1e-06},
        {"feature": "serasa_score", "description": "unknown", "value": None, "impact": 0.0},
    ]
    edge_numbers = [0.1, 1e-07, 1e16, 2.0, -0.0, 123456789.123, 2.0**53, math.nan]
    predictions = [
        {"order_id": f"O-{n}", "decision": ("invoice", "review", "hold")[n % 3], "invoice": n % 3 == 0,
         "probability": number, "score": 1000, "rules": [{"rule": "over_limit", "description": "Limit \"R$ 1\""}] * (n % 2),
         "reasons": reasons, "unknown_customer": n == 0}
        for n, number in enumerate(edge_numbers)
    ]
    answer = PredictionResponse.model_construct(model_version=3, policy_version=2, predictions=predictions)
    assert answer.encoded() == answer.model_dump_json().encode()
