"""The company's uploads and training jobs as lists: newest first, cursor pages without
duplicates or gaps (ties on created_at broken by id), the single GET's shape, one company only."""

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from shared.config import get_settings
from shared.db import transaction
from shared.db.models import TrainingJob, Upload
from shared.db.types import utcnow
from shared.schemas.pages import PageQuery
from shared.schemas.uploads import UploadOpen
from shared.services import training_jobs, uploads
from tests.integration.conftest import new_company


def committed_uploads(principal, count: int) -> None:
    """`count` uploads committed for training (a queued job each), then given created_at values
    with ties, so the id decides the order among equals."""
    for _ in range(count):
        commit_one(principal)
    base = utcnow() - timedelta(days=1)
    with transaction() as session:
        for model in (Upload, TrainingJob):
            ids = session.scalars(select(model.id).where(model.tenant_id == principal.tenant_id)).all()
            for position, id_ in enumerate(ids):
                moment = base + timedelta(seconds=position // 3)  # three rows per instant
                session.execute(update(model).where(model.id == id_).values(created_at=moment))


def commit_one(principal) -> None:
    """A commit with a job of its own: a company's queued jobs collapse into one, so the one before
    is ended first, as a worker would."""
    with transaction() as session:
        session.execute(
            update(TrainingJob)
            .where(TrainingJob.tenant_id == principal.tenant_id, TrainingJob.status == "queued")
            .values(status="skipped", finished_at=utcnow())
        )
    upload = uploads.open_upload(principal, UploadOpen(expected_batches={"orders": 2})).upload_id
    uploads.commit_upload(get_settings(), principal, upload, train=True)


def all_pages(read, principal, limit: int) -> tuple[list, list[int]]:
    items, sizes, cursor = [], [], None
    while True:
        page = read(principal, PageQuery(limit=limit, cursor=cursor))
        items += page.items
        sizes.append(len(page.items))
        if page.next_cursor is None:
            return items, sizes
        cursor = page.next_cursor


@pytest.mark.parametrize(
    ("read", "model", "key"),
    [(uploads.list_uploads, Upload, "upload_id"), (training_jobs.list_training_jobs, TrainingJob, "job_id")],
    ids=["uploads", "training-jobs"],
)
def test_pages_walk_every_item_once_newest_first(tenant, read, model, key):
    committed_uploads(tenant, 8)
    items, sizes = all_pages(read, tenant, limit=3)
    assert sizes == [3, 3, 2]
    with transaction() as session:
        rows = session.execute(select(model.id, model.created_at).where(model.tenant_id == tenant.tenant_id)).all()
    newest_first = [id_ for id_, _ in sorted(rows, key=lambda row: (row.created_at, row.id), reverse=True)]
    assert [getattr(item, key) for item in items] == newest_first, "every item once, newest first, ties by id"

    first = read(tenant, PageQuery(limit=3))
    commit_one(tenant)  # created after the first page was read: it cannot shift the pages after it
    rest = read(tenant, PageQuery(limit=10, cursor=first.next_cursor))
    assert [getattr(item, key) for item in rest.items] == newest_first[3:]


def test_list_items_are_what_the_single_gets_answer(tenant):
    committed_uploads(tenant, 2)
    open_one = uploads.open_upload(tenant, UploadOpen()).upload_id
    uploads.receive_batch(get_settings(), tenant, open_one, "customers", {"batch": 1, "items": [{"customer_id": "C-1"}]})
    listed = uploads.list_uploads(tenant, PageQuery()).items
    assert listed[0].upload_id == open_one and listed[0].datasets["customers"].items == 1
    assert listed == [uploads.upload_status(tenant, item.upload_id) for item in listed]
    jobs = training_jobs.list_training_jobs(tenant, PageQuery()).items
    assert len(jobs) == 2 and jobs == [training_jobs.get_training_job(tenant, job.job_id) for job in jobs]
    assert sorted(job.status for job in jobs) == ["queued", "skipped"]


def test_another_company_lists_nothing_of_this_one(tenant):
    committed_uploads(tenant, 2)
    stranger = new_company("Outra Empresa")
    assert uploads.list_uploads(stranger, PageQuery()).items == []
    assert training_jobs.list_training_jobs(stranger, PageQuery()).model_dump() == {"items": [], "next_cursor": None}
    cursor = uploads.list_uploads(tenant, PageQuery(limit=1)).next_cursor
    assert uploads.list_uploads(stranger, PageQuery(cursor=cursor)).items == [], "a cursor opens no other company's list"

