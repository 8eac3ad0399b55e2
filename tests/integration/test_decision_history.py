"""Decision history and summary on each database: filters, cursor pages, buckets, isolation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import uuid

import pytest
import sqlalchemy as sa
from pydantic import ValidationError

from shared.config import get_settings
from shared.db import get_engine, transaction
from shared.db.migrate import upgrade
from shared.db.models import PredictionBatch, Tenant
from shared.db.types import UtcDateTime
from shared.schemas.models import PredictionHistoryQuery, PredictionSummaryQuery
from shared.security import Principal
from shared.services import decision_history
from tests.integration.test_policy import another_tenant

MONDAY = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
DECISIONS = ("invoice", "review", "hold")


def log_requests(principal, days: list[int], per_request: int = 6) -> list[dict]:
    """A prediction request's batch on each given day after MONDAY; returns the decisions, oldest first."""
    logged = []
    with transaction() as session:
        for number, day in enumerate(days):
            rows = [
                {"order_id": f"O{number}-{i}", "customer_id": f"C{i % 3}", "decision": DECISIONS[i % 3],
                 "probability": 0.1 + 0.1 * i, "amount": 100.0 * (i + 1)}
                for i in range(per_request)
            ]
            created_at = MONDAY + timedelta(days=day, minutes=number)
            session.add(PredictionBatch(
                tenant_id=principal.tenant_id, model_version=1, policy_version=number % 2, created_at=created_at,
                decisions={
                    "order_id": [r["order_id"] for r in rows], "probability": [r["probability"] for r in rows],
                    "invoice": [r["decision"] == "invoice" for r in rows], "decision": [r["decision"] for r in rows],
                    "customer_id": [r["customer_id"] for r in rows], "amount": [r["amount"] for r in rows],
                },
            ))
            logged += [r | {"created_at": created_at, "policy_version": number % 2} for r in rows]
    return logged


def history(principal, **query):
    return decision_history.history(principal, PredictionHistoryQuery.model_validate(query))


def test_filters_and_cursor_pages_walk_the_log_newest_first(tenant):
    logged = log_requests(tenant, days=[0, 0, 1, 3, 8])
    log_requests(another_tenant(), days=[0, 1])

    pages, cursor = [], None
    while True:
        page = history(tenant, limit=7, **({"cursor": cursor} if cursor else {}))
        pages.append(page.items)
        cursor = page.next_cursor
        if cursor is None:
            break
    walked = [item for page in pages for item in page]
    assert [len(page) for page in pages] == [7, 7, 7, 7, 2]
    assert len(walked) == len(logged) and len({(i.order_id, i.created_at) for i in walked}) == len(logged)
    assert [i.created_at for i in walked] == sorted((i.created_at for i in walked), reverse=True)
    assert {i.order_id for i in walked} == {r["order_id"] for r in logged}, "nothing of the other company"

    reviewed = history(tenant, decision="review", limit=1000).items
    assert reviewed and {i.decision for i in reviewed} == {"review"}
    assert len(reviewed) == sum(r["decision"] == "review" for r in logged)
    customer = history(tenant, customer_id="C1", limit=1000).items
    assert {i.customer_id for i in customer} == {"C1"} and len(customer) == len(logged) // 3
    day_one = history(tenant, **{"from": "2026-12-01T00:00:00Z", "to": "2026-12-02"}, limit=1000).items
    assert {i.order_id.split("-")[0] for i in day_one} == {"O2"}
    one = history(tenant, order_id="O4-5").items
    assert [(i.decision, i.policy_version, i.amount, i.customer_id) for i in one] == [("hold", 0, 600.0, "C2")]


def test_a_cursor_not_given_by_the_service_names_the_field():
    with pytest.raises(ValidationError) as caught:
        PredictionHistoryQuery(cursor="not-a-cursor")
    assert [error["loc"] for error in caught.value.errors()] == [("cursor",)]


@pytest.mark.parametrize("bucket", ["day", "week"])
def test_summary_counts_mix_amounts_and_mean_score_per_bucket(tenant, bucket):
    logged = log_requests(tenant, days=[0, 0, 1, 6, 7, 9])  # Monday, Monday, Tuesday, Sunday, Monday, Wednesday
    log_requests(another_tenant(), days=[0])
    answer = decision_history.summary(tenant, PredictionSummaryQuery(bucket=bucket))

    def start(moment: datetime):
        day = moment.date()
        return day if bucket == "day" else day - timedelta(days=day.weekday())

    expected: dict = {}
    for row in logged:
        expected.setdefault(start(row["created_at"]), []).append(row)
    assert [item.start for item in answer.items] == sorted(expected)
    for item in answer.items:
        rows = expected[item.start]
        assert item.count == len(rows)
        for decision in DECISIONS:
            assert getattr(item.decisions, decision) == sum(r["decision"] == decision for r in rows)
            assert getattr(item.amount, decision) == pytest.approx(
                sum(r["amount"] for r in rows if r["decision"] == decision)
            )
        assert item.mean_score == pytest.approx(1000 * sum(r["probability"] for r in rows) / len(rows), abs=0.05)
    if bucket == "week":
        assert [item.count for item in answer.items] == [24, 12]

    ranged = decision_history.summary(
        tenant, PredictionSummaryQuery.model_validate({"bucket": bucket, "from": "2026-12-07", "to": "2026-12-08"})
    )
    assert [item.count for item in ranged.items] == [6]



@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_decisions_logged_before_policies_read_as_invoice_or_hold(backend, monkeypatch, request):
    """Migration 0007 on a log with decisions in it: theirs was `invoice`, so invoice or hold."""
    if backend == "postgresql":
        monkeypatch.setenv("DATABASE_URL", request.getfixturevalue("fresh_postgres_url"))
        monkeypatch.setenv("JWT_SECRET", "a" * 32)
        monkeypatch.setenv("DOCUMENT_HASH_KEY", "b" * 32)
        get_settings.cache_clear()
    upgrade("0004")
    tenant_id = uuid.uuid4()
    old_log = sa.table(
        "prediction_log", sa.column("tenant_id", sa.Uuid()), sa.column("order_id", sa.Unicode()),
        sa.column("model_version", sa.Integer()), sa.column("probability", sa.Float()),
        sa.column("invoice", sa.Boolean()), sa.column("created_at", UtcDateTime()),
    )
    with get_engine().begin() as connection:
        connection.execute(sa.insert(Tenant.__table__), {"id": tenant_id, "company": "Antiga", "created_at": MONDAY})
        connection.execute(sa.insert(old_log), [
            {"tenant_id": tenant_id, "order_id": f"O{i}", "model_version": 1, "probability": 0.5,
             "invoice": i % 2 == 0, "created_at": MONDAY + timedelta(seconds=i)}
            for i in range(4)
        ])
    upgrade()
    items = history(Principal(tenant_id=tenant_id)).items
    assert [(i.order_id, i.decision, i.policy_version, i.customer_id) for i in items] == [
        ("O3", "hold", None, None), ("O2", "invoice", None, None), ("O1", "hold", None, None), ("O0", "invoice", None, None)
    ]
