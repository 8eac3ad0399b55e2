"""`make demo`: the whole flow over HTTP on the embedded default, as a customer would run it.

Starts the devhost, signs a company up, uploads a synthetic history in 500-item batches, commits,
waits for the training job, shows the model's holdout metrics, the decision policy in force and
a table of decisions with the rules that fired and the reasons. `upload_sample` and `wait_for_job` are also what the e2e tests and benchmarks drive.
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
        if job["status"] in ("succeeded", "failed", "skipped") or time.monotonic() > deadline:
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
        policy = client.get("/policy").raise_for_status().json()
        cutoffs, targets = policy["cutoffs_in_force"], policy["targets"]
        console.print(
            f"Policy v{policy['version']}: invoice at probability >= {cutoffs['invoice_at']:.3f}, hold below "
            f"{cutoffs['hold_below']:.3f}, review between"
            + (f" (derived for {targets['invoice_precision']:.0%} / {targets['hold_precision']:.0%} precision)"
               if targets else "")
            + "; rules: " + ", ".join(f"{rule} -> {action}" for rule, action in policy["rules"].items() if action != "off")
        )
        pending = [order for order in sample.records("orders") if "invoiced" not in order][:10]
        stranger = {**pending[0], "order_id": "DEMO-NEW-1", "customer_id": "NEVER-SENT", "amount": 92_000.0}
        pending.append(stranger)
        answer = client.post("/predictions", json={"orders": pending}).raise_for_status().json()

    table = Table(title="Decisions on orders not decided yet (the last one: a customer never sent)")
    for column in ("order", "amount", "decision", "probability", "rules", "reasons"):
        table.add_column(column)
    for order, prediction in zip(pending, answer["predictions"]):
        rules = "\n".join(r["rule"] for r in prediction["rules"])
        reasons = "\n".join(f"{r['impact']:+.3f} {r['description']}" for r in prediction["reasons"])
        table.add_row(
            prediction["order_id"], f"R$ {order['amount']:,.2f}", prediction["decision"],
            f"{prediction['probability']:.2f}", rules, reasons,
        )
    console.print(table)
    for prediction in answer["predictions"]:
        if prediction["rules"]:
            console.print(f"{prediction['order_id']} ({prediction['decision']}): "
                          + " ".join(rule["description"] for rule in prediction["rules"]))


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
