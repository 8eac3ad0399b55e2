"""Ingestion use cases on SQLite and PostgreSQL: atomic batches, idempotency, concurrency, commit."""

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from shared.config import get_settings
from shared.db import transaction
from shared.db.models import Customer, Order, OutboxEvent, Tenant, TrainingJob
from shared.errors import Conflict, InvalidInput, NotFound, TooLarge
from shared.schemas.uploads import UploadOpen
from shared.security import Principal
from shared.services import training_jobs, uploads

CNPJ = "11.222.333/0001-81"


def customer(i: int, **extra) -> dict:
    return {"customer_id": f"C{i:05d}", "segment": "varejo", "state": "SP", **extra}


def order(i: int, customer_no: int = 0, **extra) -> dict:
    return {
        "order_id": f"O{i:06d}", "customer_id": f"C{customer_no:05d}", "ordered_at": "2025-03-01T12:00:00",
        "amount": 1500.5, "payment_term_days": 30, "invoiced": i % 2 == 0, **extra,
    }


def send(principal, upload_id, dataset, items, batch=1):
    return uploads.receive_batch(get_settings(), principal, upload_id, dataset, {"batch": batch, "items": items})


def count(model, principal) -> int:
    with transaction() as session:
        return session.scalar(select(func.count()).select_from(model).where(model.tenant_id == principal.tenant_id))


def new_upload(principal, **expected):
    return uploads.open_upload(principal, UploadOpen(expected_batches=expected or None)).upload_id


def test_a_batch_is_upserted_by_natural_key(tenant):
    upload = new_upload(tenant)
    first = send(tenant, upload, "customers", [customer(i) for i in range(3)])
    assert (first.received, first.inserted, first.updated) == (3, 3, 0)
    second = send(tenant, upload, "customers", [customer(i, segment="atacado") for i in range(2, 5)], batch=2)
    assert (second.inserted, second.updated) == (2, 1)
    with transaction() as session:
        segments = dict(session.execute(select(Customer.customer_id, Customer.segment).where(Customer.tenant_id == tenant.tenant_id)).all())
    assert segments == {"C00000": "varejo", "C00001": "varejo", "C00002": "atacado", "C00003": "atacado", "C00004": "atacado"}


def test_one_bad_item_among_500_writes_nothing_and_every_bad_item_is_listed(tenant):
    upload = new_upload(tenant)
    items = [order(i) for i in range(500)]
    items[17]["amount"] = -3
    items[499]["ordered_at"] = "yesterday"
    items[250]["colour"] = "blue"
    with pytest.raises(InvalidInput) as raised:
        send(tenant, upload, "orders", items)
    locations = {error.loc for error in raised.value.errors}
    assert locations == {("items", 17, "amount"), ("items", 499, "ordered_at"), ("items", 250, "colour")}
    assert count(Order, tenant) == 0


@pytest.mark.parametrize(
    ("item", "field"),
    [
        (customer(1, document="11.222.333/0001-82"), "document"),
        (customer(1, state="XX"), "state"),
        (customer(1, attributes={"Bad-Name": 1}), "attributes"),
        (customer(1, attributes={f"a{i}": i for i in range(51)}), "attributes"),
        (customer(1, attributes={"nested": {"a": 1}}), "attributes"),
        (customer(1, customer_id=""), "customer_id"),
        (customer(1, customer_id="c\u0000x"), "customer_id"),
        (customer(1, name="tab\there"), "name"),
        (customer(1, customer_since="1800-01-01"), "customer_since"),
    ],
)
def test_invalid_customer_fields_are_named(tenant, item, field):
    with pytest.raises(InvalidInput) as raised:
        send(tenant, new_upload(tenant), "customers", [item])
    assert raised.value.errors[0].loc[:3] == ("items", 0, field)


def test_control_characters_are_refused_in_plain_words(tenant):
    with pytest.raises(InvalidInput) as raised:
        send(tenant, new_upload(tenant), "customers", [customer(1, segment="retail\x07")])
    assert [(error.loc, error.msg) for error in raised.value.errors] == [
        (("items", 0, "segment"), "control characters are not allowed")
    ]


def test_limit_validity_and_serasa_ranges_are_checked(tenant):
    upload = new_upload(tenant)
    with pytest.raises(InvalidInput) as raised:
        send(tenant, upload, "credit_limits", [{"customer_id": "C1", "limit": 10, "valid_from": "2025-02-01", "valid_until": "2025-01-01"}])
    assert raised.value.errors[0].loc == ("items", 0)
    serasa = {"customer_id": "C1", "queried_at": "2025-01-01T10:00:00-03:00", "score": 1001, "negative_records": 0,
              "negative_amount": 0, "protests": 0, "protests_amount": 0, "bounced_checks": 0, "lawsuits": 0,
              "bankruptcy_filings": 0}
    with pytest.raises(InvalidInput) as raised:
        send(tenant, upload, "serasa_queries", [serasa])
    assert raised.value.errors[0].loc == ("items", 0, "score")


@pytest.mark.parametrize(
    ("envelope", "loc"),
    [
        ({"batch": 10**20, "items": [order(1)]}, ("batch",)),
        ({"batch": 1, "items": [order(1, ordered_at="9999-12-31T23:59:59-03:00")]}, ("items", 0, "ordered_at")),
        ({"batch": 1, "items": [order(1, ordered_at="0086-02-10T12:52:11+04:42")]}, ("items", 0, "ordered_at")),
        ({"batch": 1, "items": [order(1, ordered_at="1900-06-01T12:00:00Z")]}, ("items", 0, "ordered_at")),
        ({"batch": 1, "items": [order(1, ordered_at="1989-12-31T20:59:59-03:00")]}, ("items", 0, "ordered_at")),
        ({"batch": 1, "items": [order(1, ordered_at=(datetime.now(UTC) + timedelta(days=2)).isoformat())]}, ("items", 0, "ordered_at")),
        ({"batch": 1, "items": [order(1, ordered_at="2150-01-01T00:00:00")]}, ("items", 0, "ordered_at")),
    ],
)
def test_out_of_range_numbers_and_dates_are_422_not_crashes(tenant, envelope, loc):
    with pytest.raises(InvalidInput) as raised:
        uploads.receive_batch(get_settings(), tenant, new_upload(tenant), "orders", envelope)
    assert raised.value.errors[0].loc == loc


def test_more_than_500_items_is_too_large_and_an_unknown_dataset_is_not_found(tenant):
    upload = new_upload(tenant)
    with pytest.raises(TooLarge):
        send(tenant, upload, "orders", [order(i) for i in range(501)])
    with pytest.raises(NotFound):
        send(tenant, upload, "invoices", [order(1)])


def test_a_key_repeated_within_a_batch_is_refused(tenant):
    with pytest.raises(InvalidInput) as raised:
        send(tenant, new_upload(tenant), "orders", [order(1), order(2), order(1)])
    assert raised.value.errors[0].loc == ("items", 2, "order_id")


def test_documents_are_kept_only_as_a_keyed_hash(tenant):
    send(tenant, new_upload(tenant), "customers", [customer(1, document=CNPJ)])
    with transaction() as session:
        stored = session.scalar(select(Customer.document_hmac).where(Customer.tenant_id == tenant.tenant_id))
    assert stored and len(stored) == 64
    assert "11222333000181" not in stored


def test_resending_a_batch_is_idempotent_and_a_different_resend_conflicts(tenant):
    upload = new_upload(tenant)
    first = send(tenant, upload, "orders", [order(i) for i in range(10)])
    again = send(tenant, upload, "orders", [order(i) for i in range(10)])
    assert again == first and count(Order, tenant) == 10
    with pytest.raises(Conflict):
        send(tenant, upload, "orders", [order(i) for i in range(11)])


def test_a_resend_is_compared_by_its_values_not_its_spelling(tenant):
    upload = new_upload(tenant)
    first = send(tenant, upload, "orders", [order(1, amount=1250.0, ordered_at="2025-03-01T09:00:00-03:00")])
    respelled = [order(1, amount=1250, ordered_at="2025-03-01T12:00:00Z", channel=None)]
    assert send(tenant, upload, "orders", respelled) == first
    assert send(tenant, upload, "orders", [order(1, amount="1250.00", ordered_at="2025-03-01T12:00:00")]) == first
    with pytest.raises(Conflict):
        send(tenant, upload, "orders", [order(1, amount=1250.01, ordered_at="2025-03-01T12:00:00Z")])


def test_eight_threads_posting_overlapping_batches_end_with_exact_counts(tenant):
    upload = new_upload(tenant)
    # batch b holds orders 50b .. 50b+99: every order is sent by two batches
    batches = {b: [order(i, amount=Decimal(b + 1)) for i in range(50 * b, 50 * b + 100)] for b in range(1, 17)}
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda b: send(tenant, upload, "orders", batches[b], batch=b), batches))
    assert count(Order, tenant) == 50 * 16 + 50
    assert sum(r.inserted for r in results) == 50 * 16 + 50
    assert sum(r.inserted + r.updated for r in results) == 100 * 16


def test_commit_queues_one_job_with_its_event_and_is_idempotent(tenant):
    upload = new_upload(tenant)
    send(tenant, upload, "customers", [customer(0)])
    send(tenant, upload, "orders", [order(1)])
    first = uploads.commit_upload(get_settings(), tenant, upload, train=True)
    again = uploads.commit_upload(get_settings(), tenant, upload, train=True)
    assert first.training_job_id is not None and again.training_job_id == first.training_job_id
    assert training_jobs.get_training_job(tenant, first.training_job_id).status == "queued"
    with transaction() as session:
        events = session.scalars(select(OutboxEvent).where(OutboxEvent.tenant_id == tenant.tenant_id)).all()
    assert [e.payload["job_id"] for e in events] == [str(first.training_job_id)]
    assert events[0].payload["type"] == "training.requested"
    with pytest.raises(Conflict):
        send(tenant, upload, "orders", [order(2)], batch=2)
    assert uploads.upload_status(tenant, upload).status == "committed"


def test_commit_without_training_queues_nothing(tenant):
    upload = new_upload(tenant)
    assert uploads.commit_upload(get_settings(), tenant, upload, train=False).training_job_id is None
    assert count(TrainingJob, tenant) == 0


def test_commit_lists_rows_that_reference_unknown_customers(tenant):
    upload = new_upload(tenant)
    send(tenant, upload, "customers", [customer(0)])
    send(tenant, upload, "orders", [order(i, customer_no=i % 3) for i in range(150)])
    with pytest.raises(InvalidInput) as raised:
        uploads.commit_upload(get_settings(), tenant, upload, train=True)
    errors = raised.value.errors
    assert len(errors) == 100
    assert all(error.loc[0] == "orders" and "C0000" in error.msg for error in errors)
    assert uploads.upload_status(tenant, upload).status == "open"


def test_the_last_expected_batch_commits_by_itself(tenant):
    upload = new_upload(tenant, customers=1, orders=2)
    send(tenant, upload, "customers", [customer(0)])
    assert send(tenant, upload, "orders", [order(1)], batch=2).upload_status == "open"
    last = send(tenant, upload, "orders", [order(2)], batch=1)
    assert last.upload_status == "committed" and last.training_job_id is not None
    status = uploads.upload_status(tenant, upload)
    assert status.training_job_id == last.training_job_id
    assert status.datasets["orders"].batches == 2 and status.datasets["orders"].items == 2
    with pytest.raises(InvalidInput):
        send(tenant, new_upload(tenant, orders=2), "orders", [order(9)], batch=3)


def test_another_tenants_upload_and_job_are_not_found(tenant):
    upload = new_upload(tenant)
    send(tenant, upload, "customers", [customer(0)])
    job = uploads.commit_upload(get_settings(), tenant, upload, train=True).training_job_id
    with transaction() as session:
        other = Tenant(company="Outra")
        session.add(other)
        session.flush()
        stranger = Principal(tenant_id=other.id)
    for attempt in (
        lambda: uploads.upload_status(stranger, upload),
        lambda: send(stranger, upload, "orders", [order(1)]),
        lambda: uploads.commit_upload(get_settings(), stranger, upload, train=True),
        lambda: training_jobs.get_training_job(stranger, job),
        lambda: uploads.upload_status(tenant, uuid.uuid4()),
    ):
        with pytest.raises(NotFound):
            attempt()
