"""Reads never queue behind a writer: while an upload's transaction is open, a training load, a
prediction's lookups, an API key's check and the health check still answer (on SQLite, a reader
that took the write lock up front waited out the writer and held back every other upload while it
read)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import update

from shared.config import get_settings
from shared.db import get_engine
from shared.db.models import Tenant
from shared.errors import Conflict
from shared.services import accounts, context_cache, health
from shared.services.history import load_history
from shared.services.models import find_artifact
from tests.integration.conftest import upload_sample


def test_reads_answer_while_a_write_transaction_is_open(tenant):
    upload_sample(tenant, orders=200)
    api_key = accounts.create_api_key(tenant, "erp").key

    def reads() -> tuple[int, int, str]:
        caller = accounts.authenticate(get_settings(), bearer=None, api_key=api_key)
        assert caller.tenant_id == tenant.tenant_id
        orders = len(load_history(tenant.tenant_id).orders)
        customers = context_cache.context_for(tenant.tenant_id, {"C000001"}).rows
        with pytest.raises(Conflict):  # no model trained yet: answered, not blocked
            find_artifact(tenant, None)
        return orders, customers, health.check(get_settings()).database

    with get_engine().begin() as writer, ThreadPoolExecutor(max_workers=1) as pool:
        writer.execute(update(Tenant).where(Tenant.id == tenant.tenant_id).values(company="Renamed Ltda"))
        orders, rows, database = pool.submit(reads).result(timeout=10)  # the writer is still open here
    assert orders == 200 and rows > orders and database == "ok"
