"""Decisions as the client writes them, from servers with and without a decision policy."""

import csv
import json

from creditgate.predict import COLUMNS, normalized, write

REASONS = [{"feature": f"f{i}", "description": f"reason {i}", "value": i, "impact": 0.1} for i in range(5)]
WITH_POLICY = {
    "model_version": 3,
    "policy_version": 2,
    "predictions": [
        {"order_id": "O1", "decision": "review", "invoice": False, "probability": 0.7, "score": 700,
         "rules": [{"rule": "new_customer", "description": "first order"}], "reasons": REASONS, "unknown_customer": True},
    ],
}
BEFORE_POLICIES = {
    "model_version": 1,
    "predictions": [
        {"order_id": "O2", "invoice": True, "probability": 0.9, "score": 900, "reasons": REASONS[:1], "unknown_customer": False},
        {"order_id": "O3", "invoice": False, "probability": 0.1, "score": 100, "reasons": [], "unknown_customer": False},
    ],
}


def _decisions():
    return [normalized(p, answer) for answer in (WITH_POLICY, BEFORE_POLICIES) for p in answer["predictions"]]


def test_an_answer_without_a_decision_gets_one_from_invoice():
    decisions = _decisions()
    assert [(d["decision"], d["rules"], d["policy_version"]) for d in decisions] == [
        ("review", WITH_POLICY["predictions"][0]["rules"], 2), ("invoice", [], None), ("hold", [], None)
    ]


def test_csv_output_has_the_rules_and_top_three_reasons_per_order(tmp_path):
    write(_decisions(), tmp_path / "out.csv")
    with (tmp_path / "out.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == COLUMNS
    assert rows[0]["rules"] == "new_customer: first order"
    assert rows[0]["reasons"] == "reason 0 | reason 1 | reason 2"
    assert [(r["order_id"], r["decision"], r["invoice"], r["model_version"]) for r in rows] == [
        ("O1", "review", "false", "3"), ("O2", "invoice", "true", "1"), ("O3", "hold", "false", "1")
    ]


def test_json_lines_output_keeps_every_field(tmp_path):
    write(_decisions(), tmp_path / "out.jsonl")
    lines = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert lines == _decisions()
