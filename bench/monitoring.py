"""The monitoring query over a large decision log with outcomes, on embedded SQLite, in process.

    .venv/bin/python bench/monitoring.py [--decisions 1000000] [--days 30] [--repeats 3]

A fresh database gets one company with `decisions` logged decisions (two model versions, spread
over `days` days) and as many orders, 80% of them labeled (the outcomes), written straight into
the tables. The first query counts them all (`outcomes.sync`, what a company's log written before
counting existed costs once; printed); then GET /api/monitoring's use case answers for the whole
window by day and by week, as every later query does: the median of `repeats` runs is printed.
Target on the 2-core machine: < 1 s for 1,000,000 decisions with outcomes.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
from sqlalchemy import insert  # noqa: E402

from shared.config import get_settings  # noqa: E402
from shared.db import get_engine, transaction  # noqa: E402
from shared.db.migrate import upgrade  # noqa: E402
from shared.db.models import Order, PredictionLog, Tenant  # noqa: E402
from shared.schemas.monitoring import MonitoringQuery  # noqa: E402
from shared.security import Principal  # noqa: E402
from shared.services import monitoring  # noqa: E402

CHUNK = 50_000
START = datetime(2026, 10, 1, tzinfo=UTC)


def fill(tenant_id: uuid.UUID, decisions: int, days: int) -> None:
    rng = np.random.default_rng(7)
    probability = rng.beta(3, 1.5, decisions)
    invoiced = rng.uniform(0, 1, decisions) < probability
    labeled = rng.uniform(0, 1, decisions) < 0.8
    decision = np.where(probability >= 0.8, "invoice", np.where(probability < 0.4, "hold", "review"))
    seconds = np.sort(rng.uniform(0, days * 86400, decisions))
    amount = np.round(rng.lognormal(7, 1, decisions), 2)
    upload = uuid.uuid4()
    with get_engine().begin() as connection:
        for start in range(0, decisions, CHUNK):
            part = range(start, min(start + CHUNK, decisions))
            at = [START + timedelta(seconds=float(seconds[i])) for i in part]
            connection.execute(insert(PredictionLog.__table__), [
                {"tenant_id": tenant_id, "order_id": f"O{i}", "model_version": 1 + (i * 2 >= decisions),
                 "probability": float(probability[i]), "invoice": decision[i] == "invoice", "decision": str(decision[i]),
                 "policy_version": 1, "customer_id": f"C{i % 5000}", "amount": float(amount[i]), "created_at": when}
                for i, when in zip(part, at)
            ])
            connection.execute(insert(Order.__table__), [
                {"tenant_id": tenant_id, "order_id": f"O{i}", "customer_id": f"C{i % 5000}", "upload_id": upload,
                 "ordered_at": when, "amount": float(amount[i]), "payment_term_days": 30,
                 "invoiced": bool(invoiced[i]) if labeled[i] else None}
                for i, when in zip(part, at)
            ])


def timed(principal: Principal, bucket: str, repeats: int) -> tuple[float, int]:
    runs = []
    for _ in range(repeats):
        started = time.perf_counter()
        answer = monitoring.monitoring(principal, MonitoringQuery(bucket=bucket))
        runs.append(time.perf_counter() - started)
    return statistics.median(runs), sum(b.realized.outcomes for v in answer.versions for b in v.buckets)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--decisions", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-monitoring-") as data_dir:
        os.environ["APP_DATA_DIR"] = data_dir
        get_settings.cache_clear()
        upgrade()
        with transaction() as session:
            tenant = Tenant(company="Bench Ltda")
            session.add(tenant)
            session.flush()
            principal = Principal(tenant_id=tenant.id)
        started = time.perf_counter()
        fill(principal.tenant_id, args.decisions, args.days)
        print(f"{args.decisions:,} decisions over {args.days} days, 80% with outcomes, written in "
              f"{time.perf_counter() - started:.1f} s (SQLite)")
        started = time.perf_counter()
        monitoring.monitoring(principal, MonitoringQuery())
        print(f"first query, counting the whole log once: {time.perf_counter() - started:.1f} s")
        for bucket in ("day", "week"):
            seconds, outcomes = timed(principal, bucket, args.repeats)
            print(f"GET /api/monitoring?bucket={bucket:<4}  {seconds * 1000:7.0f} ms  ({outcomes:,} outcomes)  "
                  f"target < 1000 ms: {'ok' if seconds < 1 else 'MISSED'}")


if __name__ == "__main__":
    main()
