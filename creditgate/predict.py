"""Decisions for a file of orders, written as CSV or JSON lines (by the output's suffix)."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from creditgate.api import Api
from creditgate.contract import BATCH_ITEMS
from creditgate.files import DataFile

COLUMNS = [
    "order_id", "probability", "score", "decision", "invoice", "rules", "reasons",
    "unknown_customer", "model_version", "policy_version",
]
TOP_REASONS = 3


def decide(api: Api, orders: DataFile, model_version: int | None, advance: Callable[[int], None]) -> list[dict[str, Any]]:
    """One decision per order, in file order, asked in batches of 500."""
    decisions = []
    for start in range(0, len(orders.items), BATCH_ITEMS):
        body: dict[str, Any] = {"orders": orders.items[start : start + BATCH_ITEMS]}
        if model_version is not None:
            body["model_version"] = model_version
        # A prediction changes nothing but the decision log, so a lost answer may be asked again.
        answer = api.call("POST", "/predictions", json=body, idempotent=True)
        for prediction in answer["predictions"]:
            decisions.append(normalized(prediction, answer))
        advance(len(body["orders"]))
    return decisions


def normalized(prediction: dict[str, Any], answer: dict[str, Any]) -> dict[str, Any]:
    """A server without a decision policy answers `invoice` alone: its decision is invoice or hold."""
    decision = prediction.get("decision") or ("invoice" if prediction.get("invoice") else "hold")
    return {
        **prediction,
        "decision": decision,
        "rules": prediction.get("rules") or [],
        "model_version": answer.get("model_version"),
        "policy_version": answer.get("policy_version"),
    }


def write(decisions: Iterable[dict[str, Any]], out: Path) -> None:
    if out.suffix.lower() in (".jsonl", ".ndjson", ".json"):
        with out.open("w", encoding="utf-8") as handle:
            for decision in decisions:
                handle.write(json.dumps(decision, ensure_ascii=False) + "\n")
        return
    with out.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, COLUMNS, extrasaction="ignore")
        writer.writeheader()
        for decision in decisions:
            writer.writerow(
                {
                    **decision,
                    "invoice": "true" if decision["invoice"] else "false",
                    "unknown_customer": "true" if decision.get("unknown_customer") else "false",
                    "rules": " | ".join(f"{r['rule']}: {r['description']}" for r in decision["rules"]),
                    "reasons": " | ".join(r["description"] for r in decision.get("reasons", [])[:TOP_REASONS]),
                }
            )
