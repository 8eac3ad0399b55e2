"""Prediction latency: server-side (Server-Timing) and loopback HTTP, beside the bare model.

    .venv/bin/python bench/predict.py [--orders 20000] [--repeats 200]

Every request decides with the company's policy (the default: precision targets and rules, §8);
the decision mix of the 500 orders is printed. One order (p50, p99 of `repeats` requests); then
500 orders (median of `repeats` / 2), each request followed by a bare `predict_proba`
of the same loaded model on prebuilt features for those 500 orders (alternating, so a busy moment
of the machine weighs on both alike), and the overhead ratio; last,
the first prediction after a cold start (a fresh devhost process on the same data).
Targets on the 2-core machine: 500 orders <= 100 ms server-side and <= 3x bare; one order p50
<= 15 ms over HTTP; first prediction after a cold start <= 2.5 s.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import select  # noqa: E402

from bench.common import server, signed_up_client  # noqa: E402
from shared.config import get_settings  # noqa: E402
from shared.db import transaction  # noqa: E402
from shared.db.models import ModelVersion  # noqa: E402
from shared.demo import upload_sample, wait_for_job  # noqa: E402
from shared.devhost.process import spawn  # noqa: E402
from shared.sample_data import generate  # noqa: E402
from shared.schemas.datasets import OrderFields  # noqa: E402
from shared.security import Principal  # noqa: E402
from shared.services.model_loader import load_version  # noqa: E402
from shared.services.scoring import features_for  # noqa: E402


def timed(client, orders: list[dict]) -> tuple[float, float]:
    """(loopback HTTP ms, server-side ms) of one prediction request."""
    started = time.perf_counter()
    answer = client.post("/predictions", json={"orders": orders}).raise_for_status()
    http_ms = (time.perf_counter() - started) * 1000
    return http_ms, float(answer.headers["server-timing"].split("dur=")[1])


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1]


def bare_model(data_dir: Path, orders: list[dict]) -> Callable[[], object]:
    """The same model, loaded here, on features built once: what no service overhead could beat."""
    os.environ["APP_DATA_DIR"] = str(data_dir)
    get_settings.cache_clear()
    with transaction() as session:
        version = session.scalars(select(ModelVersion).where(ModelVersion.active.is_(True))).one()
    model = load_version(get_settings(), version)
    features = features_for(Principal(version.tenant_id), [OrderFields.model_validate(o) for o in orders])
    return lambda: model.predict_proba(features)


def elapsed_ms(call: Callable[[], object]) -> float:
    started = time.perf_counter()
    call()
    return (time.perf_counter() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=200)
    args = parser.parse_args()
    sample = generate(orders=args.orders, seed=17, unlabeled_fraction=0.03)
    pending = [order for order in sample.records("orders") if "invoiced" not in order][:500]

    with server("sqlite") as running, signed_up_client(running.devhost.url) as client:
        job = wait_for_job(client, upload_sample(client, sample)["training_job_id"])
        assert job["status"] == "succeeded", job
        timed(client, pending[:1])  # warm: the model is loaded and cached by the first call
        single = [timed(client, [pending[i % len(pending)]]) for i in range(args.repeats)]
        # Server and bare calls alternate, so both see the machine in the same state.
        bare_predict = bare_model(running.data_dir, pending)
        bare_predict()
        batch, bare = [], []
        for _ in range(max(10, args.repeats // 2)):
            batch.append(timed(client, pending))
            bare.append(elapsed_ms(bare_predict))
        decided = client.post("/predictions", json={"orders": pending}).raise_for_status().json()
        mix = Counter(prediction["decision"] for prediction in decided["predictions"])
        headers = dict(client.headers)
        running.devhost.stop()

        restarted_at = time.perf_counter()
        cold = spawn(running.data_dir, running.settings)
        ready_s = time.perf_counter() - restarted_at
        try:
            import httpx

            with httpx.Client(base_url=cold.url, headers=headers, timeout=60) as fresh:
                first_ms, first_server_ms = timed(fresh, pending[:1])
        finally:
            cold.stop()

    single_http = [h for h, _ in single]
    single_server = [s for _, s in single]
    batch_http = statistics.median(h for h, _ in batch)
    batch_server = statistics.median(s for _, s in batch)
    bare_ms = statistics.median(bare)
    policy = os.environ.get("OMP_WAIT_POLICY", "unset: OpenMP's default")
    print(f"model v{job['model_version']} trained on {args.orders:,} orders; OMP_WAIT_POLICY {policy}")
    print(f"1 order     HTTP p50 {percentile(single_http, 50):7.1f} ms  p99 {percentile(single_http, 99):7.1f} ms"
          f"   server p50 {percentile(single_server, 50):7.1f} ms  p99 {percentile(single_server, 99):7.1f} ms")
    print(f"500 orders  HTTP median {batch_http:7.1f} ms   server median {batch_server:7.1f} ms"
          f"   bare predict_proba {bare_ms:6.1f} ms   server/bare {batch_server / bare_ms:5.2f}x")
    print(f"policy v{decided['policy_version']}: " + ", ".join(f"{mix[d]} {d}" for d in ("invoice", "review", "hold"))
          + f" of {len(pending)} orders")
    print(f"cold start  devhost ready in {ready_s:4.2f} s; first prediction {first_ms / 1000:4.2f} s over HTTP "
          f"({first_server_ms / 1000:4.2f} s in the app)")


if __name__ == "__main__":
    main()
