"""`make demo`: the whole flow over HTTP on the embedded default, as a customer would run it.

Starts the devhost, signs a company up, uploads a synthetic history in 500-item batches, commits,
waits for the training job, shows the model's holdout metrics and a table of decisions with
reasons. `upload_sample` and `wait_for_job` are also what the e2e tests and benchmarks drive.
"""

from __future__ import annotations

import argparse
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx

from shared.sample_data import DATASETS, SampleTenant, generate

PASSWORD = "demonstracao segura"


def sign_up(client: httpx.Client, company: str = "Distribuidora Demo Ltda") -> str:
    """Signs a new company up and makes `client` act as its first user; returns the user's email."""
    email = f"demo-{uuid.uuid4().hex[:10]}@exemplo.com.br"
    answer = client.post("/signup", json={"company": company, "email": email, "password": PASSWORD})
    client.headers["Authorization"] = f"Bearer {answer.raise_for_status().json()['access_token']}"
    return email


def upload_sample(client: httpx.Client, sample: SampleTenant, on_batch: Callable[[int], None] = lambda n: None) -> dict:
    """Every dataset in 500-item batches, then the commit; returns the commit's answer."""
    upload_id = client.post("/uploads", json={}).raise_for_status().json()["upload_id"]
    for dataset in DATASETS:
        for number, items in enumerate(sample.batches(dataset), start=1):
            client.post(f"/uploads/{upload_id}/{dataset}", json={"batch": number, "items": items}).raise_for_status()
            on_batch(len(items))
    return client.post(f"/uploads/{upload_id}/commit", json={"train": True}).raise_for_status().json()


def wait_for_job(client: httpx.Client, job_id: str, timeout: float = 1800) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        job = client.get(f"/training-jobs/{job_id}").raise_for_status().json()
        if job["status"] in ("succeeded", "failed") or time.monotonic() > deadline:
            return job
        time.sleep(0.25)


def run(url: str, orders: int, seed: int) -> None:
    from rich.console import Console
    from rich.progress import Progress
    from rich.table import Table

    console = Console()
    sample = generate(orders=orders, seed=seed, unlabeled_fraction=0.02)
    total = sum(len(getattr(sample, name)) for name in DATASETS)
    with httpx.Client(base_url=url, timeout=120) as client:
        sign_up(client)
        with Progress(console=console) as progress:
            task = progress.add_task(f"Uploading {total:,} items", total=total)
            commit = upload_sample(client, sample, lambda n: progress.advance(task, n))
        with console.status("Training (features, candidates, holdout test)..."):
            job = wait_for_job(client, commit["training_job_id"])
        if job["status"] != "succeeded":
            console.print(f"[red]Training failed:[/red] {job['error']}")
            raise SystemExit(1)
        model = client.get(f"/models/{job['model_version']}").raise_for_status().json()
        metrics = model["metrics"]
        console.print(
            f"Model v{model['version']} ({model['algorithm']}), tested on the {model['row_counts']['holdout']:,} most recent "
            f"orders: ROC AUC {metrics['roc_auc']:.3f}, KS {metrics['ks']:.3f}, precision {metrics['precision']:.3f}, "
            f"recall {metrics['recall']:.3f}, threshold {metrics['threshold']:.3f} (Bayes limit {sample.bayes_auc():.3f})"
        )
        pending = [order for order in sample.records("orders") if "invoiced" not in order][:12]
        answer = client.post("/predictions", json={"orders": pending}).raise_for_status().json()

    table = Table(title="Decisions on orders not decided yet")
    for column in ("order", "amount", "invoice?", "probability", "reasons"):
        table.add_column(column)
    for order, prediction in zip(pending, answer["predictions"]):
        reasons = "\n".join(f"{r['impact']:+.3f} {r['description']}" for r in prediction["reasons"])
        table.add_row(
            prediction["order_id"], f"R$ {order['amount']:,.2f}", "yes" if prediction["invoice"] else "hold",
            f"{prediction['probability']:.2f}", reasons,
        )
    console.print(table)


def main() -> None:
    parser = argparse.ArgumentParser(description="CreditGate end to end over HTTP.")
    parser.add_argument("--orders", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--url", help="a running CreditGate (default: start a devhost on a fresh embedded database)")
    args = parser.parse_args()
    if args.url:
        run(args.url, args.orders, args.seed)
        return
    from shared.devhost.process import spawn

    with tempfile.TemporaryDirectory(prefix="creditgate-demo-") as data_dir:
        child = spawn(Path(data_dir))
        try:
            run(child.url, args.orders, args.seed)
        finally:
            child.stop()


if __name__ == "__main__":
    main()
