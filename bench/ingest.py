"""Ingestion throughput: rows/s over HTTP through the devhost in 500-item batches, beside a raw
SQLAlchemy Core insert of the same rows into the same database, on SQLite and PostgreSQL.

    .venv/bin/python bench/ingest.py [--orders 20000] [--backends sqlite,postgresql]

Targets on the 2-core machine: >= 10,000 rows/s on SQLite, HTTP/raw ratio >= 0.3.
"""

from __future__ import annotations

import argparse
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, insert  # noqa: E402

from bench.common import prepared_rows, server, signed_up_client  # noqa: E402
from shared.db.models import Tenant  # noqa: E402
from shared.db.types import utcnow  # noqa: E402
from shared.sample_data import DATASETS, generate  # noqa: E402


def http_rate(url: str, sample) -> tuple[int, float]:
    with signed_up_client(url) as client:
        upload_id = client.post("/uploads", json={}).raise_for_status().json()["upload_id"]
        rows, started = 0, time.perf_counter()
        for dataset in DATASETS:
            for number, items in enumerate(sample.batches(dataset), start=1):
                client.post(f"/uploads/{upload_id}/{dataset}", json={"batch": number, "items": items}).raise_for_status()
                rows += len(items)
        return rows, time.perf_counter() - started


def raw_rate(database_url: str, sample) -> tuple[int, float]:
    """The floor: validated rows prepared up front, then only `INSERT` executemany, a transaction per 500."""
    engine = create_engine(database_url)
    tenant_id = uuid.uuid4()
    with engine.begin() as connection:
        connection.execute(insert(Tenant.__table__), [{"id": tenant_id, "company": "raw", "created_at": utcnow()}])
    prepared = prepared_rows(sample, tenant_id, uuid.uuid4())
    started = time.perf_counter()
    for table, rows in prepared:
        with engine.begin() as connection:
            connection.execute(insert(table), rows)
    elapsed = time.perf_counter() - started
    engine.dispose()
    return sum(len(rows) for _, rows in prepared), elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=20_000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    sample = generate(orders=args.orders, seed=11)
    print(f"sample: {args.orders} orders; {sum(len(getattr(sample, d)) for d in DATASETS)} rows in all")
    print(f"{'backend':<11} {'http rows/s':>12} {'raw rows/s':>12} {'ratio':>7}")
    for backend in args.backends.split(","):
        with server(backend) as running:
            rows, seconds = http_rate(running.devhost.url, sample)
            raw_rows, raw_seconds = raw_rate(running.database_url, sample)
        http, raw = rows / seconds, raw_rows / raw_seconds
        print(f"{backend:<11} {http:>12,.0f} {raw:>12,.0f} {http / raw:>7.2f}")


if __name__ == "__main__":
    main()
