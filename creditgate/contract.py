"""The four datasets' fields and their JSON types (DESIGN §3), as the client converts file cells.

Kept here rather than imported from the server's pydantic models so that the client installs
alone; `tests/unit/test_creditgate_files.py` holds this table to the server's item models.
"""

from __future__ import annotations

from typing import Literal

Kind = Literal["text", "integer", "money", "boolean", "date", "datetime", "attributes"]

DATASETS: dict[str, dict[str, Kind]] = {
    "customers": {
        "customer_id": "text",
        "document": "text",
        "name": "text",
        "segment": "text",
        "state": "text",
        "customer_since": "date",
        "attributes": "attributes",
    },
    "credit_limits": {
        "customer_id": "text",
        "limit": "money",
        "valid_from": "date",
        "valid_until": "date",
    },
    "serasa_queries": {
        "customer_id": "text",
        "queried_at": "datetime",
        "score": "integer",
        "negative_records": "integer",
        "negative_amount": "money",
        "protests": "integer",
        "protests_amount": "money",
        "bounced_checks": "integer",
        "lawsuits": "integer",
        "bankruptcy_filings": "integer",
        "attributes": "attributes",
    },
    "orders": {
        "order_id": "text",
        "customer_id": "text",
        "ordered_at": "datetime",
        "amount": "money",
        "payment_term_days": "integer",
        "channel": "text",
        "attributes": "attributes",
        "invoiced": "boolean",
    },
}
# A prediction takes an order without its label.
PREDICTION_FIELDS: dict[str, Kind] = {name: kind for name, kind in DATASETS["orders"].items() if name != "invoiced"}
ATTRIBUTE_PREFIX = "attributes."
BATCH_ITEMS = 500
