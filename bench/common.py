"""What the benchmarks share: a devhost per database backend, a signed-up tenant, and the sample upload."""

from __future__ import annotations

import secrets
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from shared.devhost.process import ChildDevhost, spawn
from shared.sample_data import DATASETS, SampleTenant
from tests.services import throwaway_postgres


@dataclass
class Server:
    backend: str
    database_url: str | None
    devhost: ChildDevhost
    data_dir: Path


@contextmanager
def server(backend: str) -> Iterator[Server]:
    with ExitStack() as stack:
        data_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix=f"bench-{backend}-")))
        settings = {"EVENTS_BACKEND": "local", "MODEL_STORE": "local"}
        database_url = None
        if backend == "postgresql":
            database_url = stack.enter_context(throwaway_postgres())
            settings.update(DATABASE_URL=database_url, JWT_SECRET=secrets.token_urlsafe(32), DOCUMENT_HASH_KEY=secrets.token_urlsafe(32))
        child = spawn(data_dir, settings)
        stack.callback(child.stop)
        yield Server(backend, database_url or f"sqlite:///{data_dir / 'creditgate.db'}", child, data_dir)


@contextmanager
def signed_up_client(url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=url, timeout=600) as client:
        email = f"bench-{uuid.uuid4().hex[:10]}@example.com.br"
        answer = client.post("/signup", json={"company": "Bench Ltda", "email": email, "password": "senha de benchmark"})
        client.headers["Authorization"] = f"Bearer {answer.raise_for_status().json()['access_token']}"
        yield client


def upload(client: httpx.Client, sample: SampleTenant, on_batch: Callable[[int], None] = lambda n: None) -> dict:
    """Every dataset in 500-item batches, then commit; returns the commit answer."""
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
        time.sleep(0.5)
