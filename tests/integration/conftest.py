"""Fixtures for the use-case tests: a tenant on each database, and its data uploaded as a customer would."""

from __future__ import annotations

import uuid

import pytest

from shared.config import get_settings
from shared.db import transaction
from shared.db.models import Tenant
from shared.sample_data import DATASETS, generate
from shared.schemas.uploads import UploadOpen
from shared.security import Principal
from shared.services import uploads


@pytest.fixture
def tenant(database) -> Principal:
    return new_company()


def new_company(name: str = "Distribuidora Exemplo") -> Principal:
    with transaction() as session:
        row = Tenant(company=name)
        session.add(row)
        session.flush()
        return Principal(tenant_id=row.id)


def upload_sample(principal: Principal, orders: int, seed: int = 5) -> uuid.UUID:
    """The generator's tenant through the upload use cases, committed; returns the queued job."""
    sample = generate(orders=orders, seed=seed)
    upload = uploads.open_upload(principal, UploadOpen()).upload_id
    for dataset in DATASETS:
        for number, items in enumerate(sample.batches(dataset), start=1):
            uploads.receive_batch(get_settings(), principal, upload, dataset, {"batch": number, "items": items})
    return uploads.commit_upload(get_settings(), principal, upload, train=True).training_job_id
