"""Upload sessions: open, receive atomic batches, commit (and ask for training) — DESIGN §4, §5."""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from decimal import Decimal
from functools import cache
from typing import Any

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import Table, exists, func, select
from sqlalchemy.orm import Session

from shared.config import Settings
from shared.db import transaction
from shared.db.models import CreditLimit, Customer, Order, SerasaQuery, Upload, UploadBatch
from shared.db.locking import LockMode, locked
from shared.db.retry import retry_on_conflict
from shared.db.types import utcnow
from shared.db.upsert import upsert
from shared.errors import Conflict, FieldError, InvalidInput, NotFound
from shared.schemas.base import field_errors, reject_oversized
from shared.schemas.datasets import ITEM_TYPES, MAX_BATCH_ITEMS, BatchEnvelope
from shared.schemas.uploads import (
    BatchResult,
    CommitResult,
    DatasetProgress,
    UploadCreated,
    UploadList,
    UploadOpen,
    UploadStatus,
)
from shared.schemas.pages import PageQuery
from shared.security import Principal
from shared.services import outbox, training_jobs, webhooks
from shared.services.pages import newest_first

TABLES: dict[str, Table] = {
    "customers": Customer.__table__,
    "credit_limits": CreditLimit.__table__,
    "serasa_queries": SerasaQuery.__table__,
    "orders": Order.__table__,
}
NATURAL_KEYS: dict[str, tuple[str, ...]] = {
    "customers": ("customer_id",),
    "credit_limits": ("customer_id", "valid_from"),
    "serasa_queries": ("customer_id", "queried_at"),
    "orders": ("order_id",),
}
UNKNOWN_CUSTOMERS_LISTED = 100


def open_upload(principal: Principal, request: UploadOpen) -> UploadCreated:
    with transaction() as session:
        upload = Upload(tenant_id=principal.tenant_id, status="open", expected_batches=request.expected_batches)
        session.add(upload)
        session.flush()
        return UploadCreated(upload_id=upload.id, status="open", expected_batches=upload.expected_batches)


def receive_batch(settings: Settings, principal: Principal, upload_id: uuid.UUID, dataset: str, payload: Any) -> BatchResult:
    """All items of the batch are written, or none; a resend of the same batch changes nothing."""
    if dataset not in TABLES:
        raise NotFound(f"No such dataset {dataset!r}; use one of {', '.join(TABLES)}.")
    reject_oversized(payload, "items", MAX_BATCH_ITEMS)
    try:
        envelope = BatchEnvelope.model_validate(payload)
    except ValidationError as exc:
        raise InvalidInput("The batch is invalid; nothing was written.", errors=field_errors(exc)) from None
    try:
        items = _item_adapter(dataset).validate_python(envelope.items)
    except ValidationError as exc:
        raise InvalidInput("Some items are invalid; nothing was written.", errors=field_errors(exc, ("items",))) from None
    rows = [_row(settings, dataset, item.model_dump()) for item in items]
    _reject_duplicate_keys(dataset, rows)
    digest = _digest(rows)

    def write() -> tuple[BatchResult, bool]:
        with transaction() as session:
            upload = _upload(session, principal, upload_id, lock="share")
            previous = session.scalars(
                select(UploadBatch).where(
                    UploadBatch.upload_id == upload.id, UploadBatch.dataset == dataset, UploadBatch.batch == envelope.batch
                )
            ).one_or_none()
            if previous is not None:
                if previous.digest != digest:
                    raise Conflict(f"Batch {envelope.batch} of {dataset} was already received with other items.")
                return _batch_result(previous, upload), False
            if upload.status != "open":
                raise Conflict("The upload is committed; open a new upload to send more data.")
            expected = (upload.expected_batches or {}).get(dataset)
            if expected is not None and envelope.batch > expected:
                raise InvalidInput(
                    f"This upload expects {expected} batches of {dataset}.",
                    errors=[FieldError(("batch",), f"must be at most {expected}")],
                )
            for row in rows:
                row.update(tenant_id=principal.tenant_id, upload_id=upload.id)
            count = upsert(session, TABLES[dataset], NATURAL_KEYS[dataset], principal.tenant_id, rows)
            batch = UploadBatch(
                upload_id=upload.id, dataset=dataset, batch=envelope.batch, digest=digest,
                received=len(rows), inserted=count.inserted, updated=count.updated,
                written_keys=sorted({row[NATURAL_KEYS[dataset][0]] for row in rows}),
            )
            session.add(batch)
            session.flush()
            return _batch_result(batch, upload), upload.expected_batches is not None

    result, declared = retry_on_conflict(write)
    if declared and result.upload_status == "open" and _all_expected_batches_received(principal, upload_id):
        committed = commit_upload(settings, principal, upload_id, train=True)
        result = result.model_copy(update={"upload_status": "committed", "training_job_id": committed.training_job_id})
    return result


def commit_upload(settings: Settings, principal: Principal, upload_id: uuid.UUID, *, train: bool) -> CommitResult:
    """Upload committed + training queued (joining the company's waiting job, if any), in one
    transaction; retries return the same job."""
    with transaction() as session:
        upload = _upload(session, principal, upload_id, lock="update")
        if upload.status == "committed":
            return CommitResult(upload_id=upload.id, training_job_id=upload.training_job_id)
        unknown = _unknown_customer_references(session, principal.tenant_id, upload.id)
        if unknown:
            raise InvalidInput(
                "Some rows reference customers this company has not sent; send them, then commit.",
                errors=unknown,
            )
        now = utcnow()
        if train:
            job = training_jobs.queue_training(session, settings, principal.tenant_id, upload.id, reason="commit")
            upload.training_job_id = job.id
        upload.status, upload.committed_at = "committed", now
        result = CommitResult(upload_id=upload.id, training_job_id=upload.training_job_id)
        webhooks.emit(session, principal.tenant_id, "upload.committed", {**result.model_dump(), "committed_at": now})
    if train:
        outbox.relay_soon_after_commit(settings)
    return result


def upload_status(principal: Principal, upload_id: uuid.UUID) -> UploadStatus:
    with transaction() as session:
        return _statuses(session, [_upload(session, principal, upload_id)])[0]


def list_uploads(principal: Principal, page: PageQuery) -> UploadList:
    """The company's uploads, newest first, each as `upload_status` answers it."""
    with transaction() as session:
        rows, next_cursor = newest_first(session, Upload, principal.tenant_id, page)
        return UploadList(items=_statuses(session, rows), next_cursor=next_cursor)


def _statuses(session: Session, rows: list[Upload]) -> list[UploadStatus]:
    """Status and per-dataset progress of each upload, the progress of all of them in one query."""
    expected = {row.id: row.expected_batches or {} for row in rows}
    progress = {
        upload_id: {name: DatasetProgress(batches=0, items=0, expected_batches=count) for name, count in counts.items()}
        for upload_id, counts in expected.items()
    }
    received = session.execute(
        select(UploadBatch.upload_id, UploadBatch.dataset, func.count(), func.sum(UploadBatch.received))
        .where(UploadBatch.upload_id.in_(list(expected)))
        .group_by(UploadBatch.upload_id, UploadBatch.dataset)
    ).all() if rows else []
    for upload_id, name, batches, items in received:
        progress[upload_id][name] = DatasetProgress(batches=batches, items=items, expected_batches=expected[upload_id].get(name))
    return [
        UploadStatus(
            upload_id=row.id, status=row.status, datasets=progress[row.id], training_job_id=row.training_job_id,
            created_at=row.created_at, committed_at=row.committed_at,
        )
        for row in rows
    ]


def _upload(session: Session, principal: Principal, upload_id: uuid.UUID, lock: LockMode | None = None) -> Upload:
    query = select(Upload).where(Upload.id == upload_id, Upload.tenant_id == principal.tenant_id)
    if lock:
        # Batches share the row, a commit takes it alone: no batch lands in a committed upload.
        query = locked(query, Upload, lock)
    upload = session.scalars(query).one_or_none()
    if upload is None:
        raise NotFound("No such upload.")
    return upload


def _all_expected_batches_received(principal: Principal, upload_id: uuid.UUID) -> bool:
    status = upload_status(principal, upload_id)
    expected = {name: p for name, p in status.datasets.items() if p.expected_batches is not None}
    return bool(expected) and all(p.batches >= p.expected_batches for p in expected.values())


def _unknown_customer_references(session: Session, tenant_id: uuid.UUID, upload_id: uuid.UUID) -> list[FieldError]:
    customers = TABLES["customers"]
    found: list[FieldError] = []
    for dataset in ("orders", "credit_limits", "serasa_queries"):
        table, key = TABLES[dataset], NATURAL_KEYS[dataset]
        known = exists().where(customers.c.tenant_id == tenant_id, customers.c.customer_id == table.c.customer_id)
        rows = session.execute(
            select(table.c.customer_id, *(table.c[name] for name in key))
            .where(table.c.tenant_id == tenant_id, table.c.upload_id == upload_id, ~known)
            .order_by(*(table.c[name] for name in key))
            .limit(UNKNOWN_CUSTOMERS_LISTED - len(found))
        ).all()
        found += [
            FieldError((dataset, *(_json_key(part) for part in row[1:]), "customer_id"), f"unknown customer {row[0]!r}")
            for row in rows
        ]
        if len(found) >= UNKNOWN_CUSTOMERS_LISTED:
            break
    return found


def _json_key(value: Any) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


@cache
def _item_adapter(dataset: str) -> TypeAdapter:
    return TypeAdapter(list[ITEM_TYPES[dataset]])


def _row(settings: Settings, dataset: str, item: dict[str, Any]) -> dict[str, Any]:
    if dataset == "customers":
        document = item.pop("document")
        item["document_hmac"] = document and hmac.new(
            settings.secret("document_hash_key"), document.encode(), hashlib.sha256
        ).hexdigest()
    return item


def _digest(rows: list[dict[str, Any]]) -> str:
    """Of the validated rows, not of the text sent: `1250` and `1250.0`, or one instant in two time
    zones, are the same batch when it is resent."""
    return hashlib.sha256(json.dumps(rows, sort_keys=True, default=_canonical).encode()).hexdigest()


def _canonical(value: Any) -> str:
    return format(value.normalize(), "f") if isinstance(value, Decimal) else _json_key(value)


def _reject_duplicate_keys(dataset: str, rows: list[dict[str, Any]]) -> None:
    first_seen: dict[tuple, int] = {}
    errors = []
    for index, row in enumerate(rows):
        key = tuple(row[name] for name in NATURAL_KEYS[dataset])
        if key in first_seen:
            errors.append(FieldError(("items", index, NATURAL_KEYS[dataset][-1]), f"same key as item {first_seen[key]}"))
        first_seen.setdefault(key, index)
    if errors:
        raise InvalidInput("The batch repeats a key; nothing was written.", errors=errors)


def _batch_result(batch: UploadBatch, upload: Upload) -> BatchResult:
    return BatchResult(
        dataset=batch.dataset, batch=batch.batch, received=batch.received, inserted=batch.inserted,
        updated=batch.updated, upload_status=upload.status, training_job_id=upload.training_job_id,
    )
