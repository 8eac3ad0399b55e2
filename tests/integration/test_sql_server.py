"""SQL Server: the migrations' DDL and every statement the app issues compile on the mssql dialect.

No SQL Server runs on this machine, so this is compilation, not execution: the whole product flow
runs on SQLite while every statement it executes is captured and compiled for SQL Server.
"""

import io
import uuid
from contextlib import redirect_stdout

import pytest
from sqlalchemy import event
from sqlalchemy.dialects import mssql
from sqlalchemy.engine import make_url

from shared.config import get_settings
from shared.db import get_engine
from shared.db.azure_sql import token_struct, wants_entra_token
from shared.db.migrate import upgrade
from shared.sample_data import DATASETS, generate
from shared.schemas.accounts import ApiKeyCreate, SignupRequest
from shared.schemas.models import EvaluateRequest, PredictionHistoryQuery, PredictionRequest
from shared.schemas.uploads import UploadOpen
from shared.security import decode_token
from shared.services import accounts, decision_history, models, outbox, predictions, training, training_jobs, uploads

MSSQL_URL = "mssql+pyodbc://@creditgate.database.windows.net:1433/creditgate?driver=ODBC+Driver+18+for+SQL+Server"


def test_the_migrations_render_sql_server_ddl(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", MSSQL_URL)
    monkeypatch.setenv("JWT_SECRET", "j" * 40)
    monkeypatch.setenv("DOCUMENT_HASH_KEY", "d" * 40)
    get_settings.cache_clear()
    printed = io.StringIO()
    with redirect_stdout(printed):
        upgrade(sql=True)
    ddl = printed.getvalue()
    for table in ("tenants", "users", "api_keys", "customers", "credit_limits", "serasa_queries", "orders",
                  "uploads", "upload_batches", "training_jobs", "outbox", "model_versions", "prediction_log"):
        assert f"CREATE TABLE {table}" in ddl
    assert "UNIQUEIDENTIFIER" in ddl and "DATETIME2" in ddl and "NUMERIC(18, 2)" in ddl
    assert "customer_id NVARCHAR(64)" in ddl and "company NVARCHAR(200)" in ddl
    assert "PRIMARY KEY (tenant_id, customer_id, valid_from)" in ddl, "keys lead with (tenant, customer)"


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_every_statement_of_the_product_flow_compiles_for_sql_server(database):
    statements: list = []

    def capture(conn, clause, *rest):
        statements.append(clause)

    event.listen(get_engine(), "before_execute", capture)
    try:
        _run_the_whole_flow()
    finally:
        event.remove(get_engine(), "before_execute", capture)

    compiled = [str(statement.compile(dialect=mssql.dialect())) for statement in statements if hasattr(statement, "compile")]
    assert len(compiled) > 40
    text = "\n".join(compiled)
    assert "LIMIT" not in text and "TOP" in text, "row limits use TOP on SQL Server"
    assert "WITH (UPDLOCK, HOLDLOCK, ROWLOCK)" in text and "WITH (HOLDLOCK, ROWLOCK)" in text
    assert "WITH (UPDLOCK, READPAST, ROWLOCK)" in text
    assert "FOR UPDATE" not in text and "FOR SHARE" not in text


def _run_the_whole_flow() -> None:
    settings = get_settings()
    signup = accounts.signup(settings, SignupRequest(company="SQL", email=f"{uuid.uuid4().hex[:8]}@x.com", password="p" * 12), "198.51.100.7")
    principal = decode_token(settings, signup.access_token)
    key = accounts.create_api_key(principal, ApiKeyCreate(name="k").name)
    accounts.authenticate(settings, bearer=None, api_key=key.key)
    accounts.list_api_keys(principal)
    sample = generate(orders=600, seed=4, unlabeled_fraction=0.05)
    upload = uploads.open_upload(principal, UploadOpen()).upload_id
    for dataset in DATASETS:
        for number, items in enumerate(sample.batches(dataset), start=1):
            uploads.receive_batch(settings, principal, upload, dataset, {"batch": number, "items": items})
    uploads.upload_status(principal, upload)
    job = uploads.commit_upload(settings, principal, upload, train=True).training_job_id
    training.requeue_expired(settings)
    outbox.relay(settings)
    training.run_job(settings, job)
    training_jobs.get_training_job(principal, job)
    orders = [o for o in sample.records("orders") if "invoiced" not in o][:5]
    predictions.predict(settings, principal, PredictionRequest.model_validate({"orders": orders}))
    decision_history.history(principal, PredictionHistoryQuery(order_id=orders[0]["order_id"]))
    models.list_models(principal)
    models.activate(principal, 1)
    labeled = [o for o in sample.records("orders") if "invoiced" in o][:50]
    models.evaluate(settings, principal, 1, EvaluateRequest.model_validate({"orders": labeled}))
    accounts.revoke_api_key(principal, key.id)


def test_passwordless_urls_get_entra_tokens_in_the_odbc_format():
    assert wants_entra_token(make_url(MSSQL_URL))
    assert not wants_entra_token(make_url("mssql+pyodbc://app:secret@server/db?driver=ODBC+Driver+18+for+SQL+Server"))
    assert not wants_entra_token(make_url(MSSQL_URL + "&Authentication=ActiveDirectoryMsi"))
    assert not wants_entra_token(make_url("postgresql+psycopg://postgres@127.0.0.1/db"))
    packed = token_struct("eyJ0")
    assert packed[:4] == (8).to_bytes(4, "little") and packed[4:] == "eyJ0".encode("utf-16-le")
