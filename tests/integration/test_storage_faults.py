"""Storage faults, made for real, through the HTTP functions (DESIGN §4, issue 14 faults 6 and 7):
a full SQLite database, a model store that cannot be written, a model file altered or deleted on
disk, a database behind the code's migrations. None may answer 500."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import azure.functions as func
import pytest
from sqlalchemy import event, func as sql, select

from functions import health, models, predictions, uploads
from functions.accounts import signup as signup_function
from shared.config import get_settings
from shared.db import get_engine, transaction
from shared.db.migrate import upgrade
from shared.db.models import Customer, ModelVersion
from shared.faults import RETRY_AFTER_SECONDS
from shared.sample_data import generate
from shared.schemas.accounts import SignupRequest
from shared.security import Principal
from shared.services import accounts, training
from tests.disk import fill, tiny_filesystem
from tests.integration.conftest import upload_sample

PROBLEM_JSON = "application/problem+json"


def call(function, method: str, path: str, body: object = None, token: str | None = None, **route_params: str) -> func.HttpResponse:
    """One request through the function as the host would deliver it."""
    headers = {"Content-Type": "application/json"} | ({"Authorization": f"Bearer {token}"} if token else {})
    raw = b"" if body is None else json.dumps(body).encode()
    return function(func.HttpRequest(method, f"http://localhost/api/{path}", headers=headers, body=raw, route_params=route_params))


def answer(response: func.HttpResponse) -> dict:
    return json.loads(response.get_body())


def signup() -> tuple[str, uuid.UUID]:
    email = f"faults-{uuid.uuid4().hex[:8]}@example.com.br"
    request = SignupRequest(company="Falhas Ltda", email=email, password="senha longa de teste")
    signed = accounts.signup(get_settings(), request, "192.0.2.10")
    return signed.access_token, signed.tenant_id


@pytest.fixture
def sqlite_db() -> str:
    upgrade()
    return get_settings().sqlalchemy_url


def _limit_pages(dbapi_connection, _record) -> None:
    # A real SQLITE_FULL: the database may not grow past what it holds now.
    pages = dbapi_connection.execute("PRAGMA page_count").fetchone()[0]
    dbapi_connection.execute(f"PRAGMA max_page_count={pages}")


@contextmanager
def database_full() -> Iterator[None]:
    """Inside, new connections find the database full; after, it has room again."""
    engine = get_engine()
    event.listen(engine, "connect", _limit_pages)
    engine.dispose()
    try:
        yield
    finally:
        event.remove(engine, "connect", _limit_pages)
        engine.dispose()


def _customers(tenant_id: uuid.UUID) -> int:
    with transaction() as session:
        return session.scalar(select(sql.count()).select_from(Customer).where(Customer.tenant_id == tenant_id))


def test_a_full_database_answers_503_with_retry_after_and_writes_nothing_of_the_batch(sqlite_db):
    token, tenant_id = signup()
    upload_id = answer(call(uploads.open_upload, "POST", "uploads", {}, token))["upload_id"]
    items = next(generate(orders=600, seed=3).batches("customers"))
    batch = {"batch": 1, "items": items}
    route = {"upload_id": upload_id, "dataset": "customers"}

    with database_full():
        refused = call(uploads.receive_batch, "POST", f"uploads/{upload_id}/customers", batch, token, **route)
    assert refused.status_code == 503, refused.get_body()
    assert refused.mimetype == PROBLEM_JSON
    assert refused.headers["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert answer(refused)["status"] == 503 and "retry" in answer(refused)["detail"]
    assert _customers(tenant_id) == 0, "nothing of the refused batch was written"

    accepted = call(uploads.receive_batch, "POST", f"uploads/{upload_id}/customers", batch, token, **route)
    assert accepted.status_code == 200, accepted.get_body()
    assert answer(accepted)["inserted"] == len(items) == _customers(tenant_id)


def test_health_is_200_when_the_database_and_the_store_work(sqlite_db):
    ready = call(health.health_check, "GET", "health")
    assert ready.status_code == 200
    assert answer(ready) == {"status": "ok", "database": "ok", "model_store": "ok"}
    assert list((get_settings().app_data_dir / "models" / ".health").iterdir()) == [], "the probe cleans up"


def test_health_is_503_naming_the_model_store_on_a_full_disk(sqlite_db):
    with tiny_filesystem(get_settings().app_data_dir / "models") as store:
        fill(store)
        full = call(health.health_check, "GET", "health")
    assert full.status_code == 503 and full.mimetype == PROBLEM_JSON
    assert [error["loc"] for error in answer(full)["errors"]] == [["model_store"]]
    assert full.headers["Retry-After"] == str(RETRY_AFTER_SECONDS), "a full disk may be freed"


def test_health_is_503_naming_the_model_store_when_it_cannot_be_written(sqlite_db):
    (get_settings().app_data_dir / "models").write_bytes(b"not a directory")
    broken = call(health.health_check, "GET", "health")
    assert broken.status_code == 503 and broken.mimetype == PROBLEM_JSON
    assert answer(broken)["errors"] == [{"loc": ["model_store"], "msg": "The model store cannot be written and read back."}]
    assert "Retry-After" not in broken.headers, "waiting does not turn a file into a directory"


def test_a_database_behind_the_migrations_answers_503_naming_the_fix_until_migrated():
    # The test's own data folder, which nobody migrated.
    body = {"company": "Nova", "email": "nova@example.com.br", "password": "senha longa de teste"}

    behind = call(health.health_check, "GET", "health")
    assert behind.status_code == 503 and behind.mimetype == PROBLEM_JSON
    [error] = answer(behind)["errors"]
    assert error["loc"] == ["database"] and "python -m shared.db.migrate" in error["msg"]
    refused = call(signup_function, "POST", "signup", body)
    assert refused.status_code == 503 and "python -m shared.db.migrate" in answer(refused)["detail"]

    upgrade()  # the same worker, not restarted
    assert call(health.health_check, "GET", "health").status_code == 200
    assert call(signup_function, "POST", "signup", body).status_code == 201


def _orders() -> list[dict]:
    return [{"order_id": f"N{i}", "customer_id": f"C{i:05d}", "ordered_at": "2026-01-05T10:00:00Z", "amount": 900.0 + 450 * i} for i in range(3)]


def test_a_model_file_altered_or_deleted_answers_503_naming_the_version_and_the_fix(sqlite_db, caplog):
    token, tenant_id = signup()
    principal = Principal(tenant_id=tenant_id)
    training.run_job(get_settings(), upload_sample(principal, orders=400))
    with transaction() as session:
        [model] = session.scalars(select(ModelVersion).where(ModelVersion.tenant_id == tenant_id)).all()
    artifact = Path(model.artifact_uri.removeprefix("file://"))
    artifact.write_bytes(artifact.read_bytes()[:-100])  # truncated, as by a full disk or a bad copy

    for fault, then in (("failed its integrity check", artifact.unlink), ("is missing from the model store", None)):
        with caplog.at_level(logging.ERROR, logger="shared.services.model_loader"):
            refused = call(predictions.predict, "POST", "predictions", {"orders": _orders()}, token)
        assert refused.status_code == 503 and refused.mimetype == PROBLEM_JSON, refused.get_body()
        detail = answer(refused)["detail"]
        assert f"model version {model.version}" in detail and fault in detail
        assert "POST /api/training-jobs" in detail and "/activate" in detail
        assert any(record.levelno == logging.ERROR and str(tenant_id) in record.getMessage() for record in caplog.records)
        caplog.clear()
        if then:
            then()

    # The fix the answer names works: a retrain replaces the unusable champion instead of comparing with it.
    training.run_job(get_settings(), upload_sample(principal, orders=400, seed=6))
    answered = call(predictions.predict, "POST", "predictions", {"orders": _orders()}, token)
    assert answered.status_code == 200 and answer(answered)["model_version"] == model.version + 1
    listed = answer(call(models.list_models, "GET", "models", token=token))["items"]
    assert [(item["version"], item["active"]) for item in listed] == [(2, True), (1, False)]
