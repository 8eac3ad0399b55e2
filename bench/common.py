"""What the benchmarks share: a devhost per database backend and a signed-up client."""

from __future__ import annotations

import secrets
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from shared.devhost.process import ChildDevhost, spawn
from shared.demo import sign_up
from shared.sample_data import DATASETS, SampleTenant
from shared.schemas.datasets import ITEM_TYPES
from shared.services.uploads import TABLES
from tests.services import throwaway_postgres


@dataclass
class Server:
    backend: str
    database_url: str | None
    devhost: ChildDevhost
    data_dir: Path
    settings: dict[str, str]


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
        yield Server(backend, database_url or f"sqlite:///{data_dir / 'creditgate.db'}", child, data_dir, settings)


@contextmanager
def signed_up_client(url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=url, timeout=600) as client:
        sign_up(client, "Bench Ltda")
        yield client


def prepared_rows(sample: SampleTenant, tenant_id: uuid.UUID, upload_id: uuid.UUID) -> list[tuple]:
    """The sample as validated database rows in 500-row chunks: what an upload writes, minus the HTTP."""
    prepared = []
    for dataset in DATASETS:
        item_type = ITEM_TYPES[dataset]
        for items in sample.batches(dataset):
            rows = []
            for item in items:
                row = item_type.model_validate(item).model_dump()
                if dataset == "customers":
                    row["document_hmac"] = row.pop("document") and "0" * 64
                rows.append({**row, "tenant_id": tenant_id, "upload_id": upload_id})
            prepared.append((TABLES[dataset], rows))
    return prepared
