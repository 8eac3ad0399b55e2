"""Latency and throughput under mixed load, over loopback HTTP through a devhost of its own.

    .venv/bin/python bench/load.py [--orders 20000] [--seconds 10] [--max-requests 5000]
                                   [--request-orders 50] [--batch-items 100] [--upload-share 0.1]

A fresh devhost (embedded SQLite, fresh data folder) gets a sample company, trains its model, and
then, each phase lasting `seconds` or `max-requests` requests, whichever comes first:
(a) 8 clients predicting back to back (`request-orders` random undecided orders a request);
(b) the same 8 beside one client posting upload batches of `batch-items` items to an open upload
    (new orders; now and then updates of Serasa queries, credit limits and customers), as fast as
    the server takes them but held to `upload-share` of all requests: the issue's "10% upload
    batches" mix (0 lifts the hold); prediction p50/p99 and req/s of both, and the b/a ratio of
    prediction p50;
(c) one authenticated client making (a)'s prediction requests, alone, then beside 16 clients
    posting wrong passwords to /token back to back (they ignore Retry-After, as an attacker
    would); a 429 is an answer like any other, counted, and the attackers go on.
Targets on the 2-core machine: b/a prediction p50 <= 2x; (c) its p50 beside the attackers
against (a)'s p50 <= 2x (beside/alone printed too).

The load generator shares the 2 cores: its clients are threads that mostly wait on the server
(a request costs the client well under a millisecond), the wrong-password clients run in a
process of their own so their interpreter lock does not time the measured client, and each
phase prints the generator's own CPU time.
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import statistics
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx  # noqa: E402

from bench.common import server  # noqa: E402
from shared.demo import sign_up, upload_sample, wait_for_job  # noqa: E402
from shared.sample_data import SampleTenant, generate  # noqa: E402

PREDICTING_CLIENTS = 8
TOKEN_CLIENTS = 16
# Uploads as a company sends them: mostly new orders, now and then revised Serasa queries,
# limits and customers (updates of stored rows).
UPLOAD_CYCLE = ("orders", "orders", "orders", "serasa_queries", "orders", "orders", "orders", "credit_limits", "orders", "customers")


@dataclass
class Tally:
    """Latencies (ms) and status codes of one kind of request, from any number of threads."""

    latencies: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def timed(self, call: Callable[[], httpx.Response]) -> None:
        started = time.perf_counter()
        status = call().status_code
        with self.lock:
            self.latencies.append((time.perf_counter() - started) * 1000)
            self.statuses[status] += 1

    def __len__(self) -> int:
        return len(self.latencies)

    def summary(self, seconds: float) -> str:
        p50, p99 = percentile(self.latencies, 50), percentile(self.latencies, 99)
        codes = ", ".join(f"{code} x{count}" for code, count in sorted(self.statuses.items()))
        return f"{len(self) / seconds:7.1f} req/s  p50 {p50:7.1f} ms  p99 {p99:7.1f} ms  ({codes})"


def percentile(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100)[q - 1] if len(values) > 1 else float("nan")


@dataclass
class Phase:
    seconds: float
    cpu_seconds: float  # the load generator's own


def run_phase(clients: list[Callable[[threading.Event], None]], seconds: float, enough: Callable[[], bool]) -> Phase:
    """Each client loops until the phase ends: after `seconds`, or once `enough()`."""
    stop = threading.Event()
    threads = [threading.Thread(target=client, args=(stop,)) for client in clients]
    started, cpu = time.perf_counter(), time.process_time()
    for thread in threads:
        thread.start()
    deadline = started + seconds
    while not stop.is_set() and time.perf_counter() < deadline:
        if enough():
            break
        time.sleep(0.05)
    stop.set()
    for thread in threads:
        thread.join()
    return Phase(time.perf_counter() - started, time.process_time() - cpu)


def predicting(url: str, headers: dict, pending: list[dict], size: int, seed: int, tally: Tally) -> Callable[[threading.Event], None]:
    def client(stop: threading.Event) -> None:
        rng = random.Random(seed)
        with httpx.Client(base_url=url, headers=headers, timeout=60) as http:
            while not stop.is_set():
                orders = rng.sample(pending, size)
                tally.timed(lambda: http.post("/predictions", json={"orders": orders}))

    return client


def uploading(url: str, headers: dict, batches: Iterator[tuple[str, list[dict]]], allowed: Callable[[], bool], tally: Tally):
    def client(stop: threading.Event) -> None:
        with httpx.Client(base_url=url, headers=headers, timeout=60) as http:
            upload_id = http.post("/uploads", json={}).raise_for_status().json()["upload_id"]
            numbers: Counter = Counter()
            while not stop.is_set():
                if not allowed():
                    time.sleep(0.002)
                    continue
                dataset, items = next(batches)
                numbers[dataset] += 1
                body = {"batch": numbers[dataset], "items": items}
                tally.timed(lambda: http.post(f"/uploads/{upload_id}/{dataset}", json=body))

    return client


def upload_batches(sample: SampleTenant, size: int, seed: int) -> Iterator[tuple[str, list[dict]]]:
    """Endless batches: new orders of stored customers, placed after the history, and revised rows."""
    rng = random.Random(seed)
    stored = {dataset: list(sample.records(dataset)) for dataset in set(UPLOAD_CYCLE)}
    customers = [row["customer_id"] for row in stored["customers"]]
    last = sample.orders["ordered_at"].max()
    revise = {
        "serasa_queries": lambda row: {**row, "score": rng.randint(300, 950)},
        "credit_limits": lambda row: {**row, "limit": round(row["limit"] * rng.uniform(0.8, 1.2), 2)},
        "customers": lambda row: {**row, "segment": rng.choice(["varejo", "atacado", "industria", "servicos"])},
    }
    for number in range(10**9):
        dataset = UPLOAD_CYCLE[number % len(UPLOAD_CYCLE)]
        if dataset != "orders":
            rows = rng.sample(stored[dataset], min(size, len(stored[dataset])))
            yield dataset, [revise[dataset](row) for row in rows]
            continue
        yield dataset, [
            {
                "order_id": f"L{number:06d}-{item:04d}",
                "customer_id": rng.choice(customers),
                "ordered_at": (last + timedelta(seconds=number * size + item)).isoformat(),
                "amount": round(rng.uniform(100, 20_000), 2),
                "payment_term_days": rng.choice([0, 14, 28, 30, 45, 60]),
                "invoiced": rng.random() < 0.8,
            }
            for item in range(size)
        ]


def wrong_passwords(url: str, email: str, seconds: float, results: multiprocessing.Queue) -> None:
    """16 clients, in this process of their own, posting wrong passwords back to back."""
    statuses: Counter = Counter()
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def attacker(number: int) -> None:
        with httpx.Client(base_url=url, timeout=60) as http:
            while time.perf_counter() < deadline:
                status = http.post("/token", json={"email": email, "password": f"wrong-{number}"}).status_code
                with lock:
                    statuses[status] += 1

    threads = [threading.Thread(target=attacker, args=(n,)) for n in range(TOKEN_CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    results.put(dict(statuses))


def one_client(
    client: Callable[[Tally], Callable[[threading.Event], None]], seconds: float, max_requests: int
) -> tuple[Phase, Tally]:
    tally = Tally()
    return run_phase([client(tally)], seconds, lambda: len(tally) >= max_requests), tally


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=20_000)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--max-requests", type=int, default=5_000)
    parser.add_argument("--request-orders", type=int, default=50)
    parser.add_argument("--batch-items", type=int, default=100)
    parser.add_argument("--upload-share", type=float, default=0.1)
    args = parser.parse_args()
    sample = generate(orders=args.orders, seed=17, unlabeled_fraction=0.03)
    pending = [order for order in sample.records("orders") if "invoiced" not in order]

    with server("sqlite") as running:
        url = running.devhost.url
        with httpx.Client(base_url=url, timeout=600) as client:
            email = sign_up(client, "Bench Ltda")
            job = wait_for_job(client, upload_sample(client, sample)["training_job_id"], timeout=900)
            assert job["status"] == "succeeded", job
            client.post("/predictions", json={"orders": pending[:1]}).raise_for_status()  # the model loaded
            headers = dict(client.headers)

        def predictors(tally: Tally) -> list:
            return [predicting(url, headers, pending, args.request_orders, n, tally) for n in range(PREDICTING_CLIENTS)]

        only = Tally()
        a = run_phase(predictors(only), args.seconds, lambda: len(only) >= args.max_requests)

        mixed, batches = Tally(), Tally()
        share = args.upload_share

        def allowed() -> bool:
            return share <= 0 or len(batches) < share / (1 - share) * max(len(mixed), 1)

        uploader = uploading(url, headers, upload_batches(sample, args.batch_items, seed=3), allowed, batches)
        b = run_phase(
            [*predictors(mixed), uploader], args.seconds,
            lambda: len(mixed) + len(batches) >= args.max_requests,
        )

        def authenticated(tally: Tally) -> Callable[[threading.Event], None]:
            return predicting(url, headers, pending, args.request_orders, PREDICTING_CLIENTS, tally)

        alone_phase, alone = one_client(authenticated, args.seconds, args.max_requests)
        results: multiprocessing.Queue = multiprocessing.get_context("spawn").Queue()
        attackers = multiprocessing.get_context("spawn").Process(
            target=wrong_passwords, args=(url, email, args.seconds + 2, results)
        )
        attackers.start()
        time.sleep(1)  # the wrong passwords are flowing
        beside_phase, beside = one_client(authenticated, args.seconds, args.max_requests)
        token_statuses = results.get(timeout=args.seconds + 120)
        attackers.join()

    def p50(tally: Tally) -> float:
        return percentile(tally.latencies, 50)

    print(f"company of {args.orders:,} orders; predictions of {args.request_orders} orders; upload batches of "
          f"{args.batch_items} items ({', '.join(sorted(set(UPLOAD_CYCLE)))}), "
          f"{'unpaced' if share <= 0 else f'{share:.0%} of requests'}; phases of {args.seconds:g} s or "
          f"{args.max_requests} requests")
    print(f"(a) {PREDICTING_CLIENTS} predicting         predictions {only.summary(a.seconds)}   generator CPU {a.cpu_seconds / a.seconds:.0%}")
    print(f"(b) {PREDICTING_CLIENTS} predicting + 1 uploading  predictions {mixed.summary(b.seconds)}   generator CPU "
          f"{b.cpu_seconds / b.seconds:.0%}")
    print(f"                          batches     {batches.summary(b.seconds)}")
    print(f"    b/a prediction p50 {p50(mixed) / p50(only):5.2f}x  (target <= 2x)")
    print(f"(c) 1 predicting alone                 {alone.summary(alone_phase.seconds)}")
    print(f"    beside {TOKEN_CLIENTS} wrong-password clients {beside.summary(beside_phase.seconds)}")
    token_codes = ", ".join(f"{code} x{count}" for code, count in sorted(token_statuses.items()))
    print(f"    /token answers: {token_codes}")
    print(f"    beside/(a) p50 {p50(beside) / p50(only):5.2f}x  (target <= 2x)   beside/alone p50 {p50(beside) / p50(alone):5.2f}x")


if __name__ == "__main__":
    main()
