"""Webhooks end to end below HTTP: events queued by the use cases, delivered by the timer's use case
to a real HTTP receiver, signed, retried with backoff, logged; the SSRF guard; tenant isolation."""

from __future__ import annotations

import time
from collections import Counter
from datetime import timedelta
from threading import Thread

import pytest
from sqlalchemy import select, update

from shared.config import get_settings
from shared.db import transaction
from shared.db.models import Webhook, WebhookDelivery
from shared.db.types import utcnow
from shared.errors import InvalidInput, NotFound
from shared.schemas.pages import PageQuery
from shared.schemas.webhooks import EVENT_TYPES, WebhookCreate
from shared.services import models, training, training_jobs, webhooks
from shared.services.webhook_delivery import USER_AGENT, deliver_due
from tests.integration.conftest import new_company, upload_sample
from tests.webhook_receiver import receiver, signature_is_valid


@pytest.fixture
def local(tenant, monkeypatch):
    """Receivers on 127.0.0.1 over http: allowed explicitly (PostgreSQL is not the embedded default)."""
    monkeypatch.setenv("WEBHOOKS_ALLOW_PRIVATE", "true")
    get_settings.cache_clear()
    with receiver() as server:
        yield server


def register(principal, url: str, events=EVENT_TYPES):
    return webhooks.register(get_settings(), principal, WebhookCreate(url=url, events=list(events)))


def drift(principal, **data) -> None:
    with transaction() as session:
        webhooks.emit(session, principal.tenant_id, "drift.detected", {"model_version": 1, **data})


def queued_event_ids(webhook_id) -> set[str]:
    with transaction() as session:
        ids = session.scalars(select(WebhookDelivery.event_id).where(WebhookDelivery.webhook_id == webhook_id))
        return {str(event_id) for event_id in ids}


def test_each_event_reaches_the_receiver_once_with_a_valid_signature(tenant, local):
    everything = register(tenant, f"{local.url}/all")
    activations = register(tenant, f"{local.url}/activations", ["model.activated"])
    other = new_company("Outra Ltda")
    register(other, f"{local.url}/other")

    failed_job = upload_sample(tenant, orders=120, seed=7)
    training.run_job(get_settings(), failed_job)  # too little data: fails
    training.run_job(get_settings(), upload_sample(tenant, orders=500, seed=5))  # version 1, activated
    models.activate(tenant, 1)  # already active: no change, no event
    training.run_job(get_settings(), upload_sample(tenant, orders=500, seed=6))  # version 2
    inactive = next(model.version for model in models.list_models(tenant).items if not model.active)
    models.activate(tenant, inactive)
    drift(tenant, psi=0.31)

    assert deliver_due(get_settings()) > 0
    assert deliver_due(get_settings()) == 0, "nothing is sent twice"
    received = local.on("/all")
    types = Counter(request.event["type"] for request in received)
    activated_by_training = 2 if inactive == 1 else 1
    assert types == {
        "upload.committed": 3, "training.failed": 1, "training.succeeded": 2,
        "model.activated": activated_by_training + 1, "drift.detected": 1,
    }
    assert {request.event["id"] for request in received} == queued_event_ids(everything.id)
    assert len(received) == len(queued_event_ids(everything.id)), "each event once"
    for request in received:
        event = request.event
        assert set(event) == {"id", "type", "created_at", "data"}
        assert signature_is_valid(everything.secret, request.headers["CreditGate-Signature"], request.body)
        assert not signature_is_valid(activations.secret, request.headers["CreditGate-Signature"], request.body)
        assert request.headers["Content-Type"] == "application/json"
        assert request.headers["User-Agent"] == USER_AGENT
        assert request.headers["CreditGate-Event-Id"] == event["id"]
    by_type = {request.event["type"]: request.event["data"] for request in received}
    reason = training_jobs.get_training_job(tenant, failed_job).error
    assert by_type["training.failed"] == {"job_id": str(failed_job), "error": reason}
    assert by_type["training.succeeded"]["model_version"] in (1, 2)
    assert {request.event["data"]["by"] for request in received if request.event["type"] == "model.activated"} == {
        "training", "activation"
    }
    only = local.on("/activations")
    assert [request.event["type"] for request in only] == ["model.activated"] * types["model.activated"]
    assert {request.event["id"] for request in only} == {
        request.event["id"] for request in received if request.event["type"] == "model.activated"
    }, "one event, the same id for every webhook"
    assert local.on("/other") == [], "another company's webhook hears nothing of this one"


def test_a_failing_receiver_is_retried_with_growing_delays_and_each_attempt_is_logged(tenant, local, monkeypatch):
    monkeypatch.setenv("WEBHOOK_RETRY_BASE_SECONDS", "0.3")
    get_settings.cache_clear()
    local.statuses["/failing"] = [500, 500]
    failing = register(tenant, f"{local.url}/failing", ["drift.detected"])
    healthy = register(tenant, f"{local.url}/healthy", ["drift.detected"])
    drift(tenant)

    deadline = time.monotonic() + 20
    while len(local.on("/failing")) < 3 and time.monotonic() < deadline:
        deliver_due(get_settings())
        time.sleep(0.02)
    for _ in range(3):
        deliver_due(get_settings())

    attempts = local.on("/failing")
    assert len(attempts) == 3 and len({request.event["id"] for request in attempts}) == 1
    first, second = attempts[1].at - attempts[0].at, attempts[2].at - attempts[1].at
    assert 0.3 <= first < second, (first, second)
    assert second >= 0.6
    assert len(local.on("/healthy")) == 1, "the other webhook got its copy at once, and only once"

    log = webhooks.list_deliveries(tenant, failing.id, PageQuery()).items
    assert [(a.attempt, a.status_code, a.outcome, a.error) for a in reversed(log)] == [
        (1, 500, "retrying", "answered HTTP 500"),
        (2, 500, "retrying", "answered HTTP 500"),
        (3, 200, "delivered", None),
    ]
    assert all(a.latency_ms >= 0 and a.event_type == "drift.detected" for a in log)
    assert [a.attempt for a in webhooks.list_deliveries(tenant, healthy.id, PageQuery()).items] == [1]

    page = webhooks.list_deliveries(tenant, failing.id, PageQuery(limit=2))
    rest = webhooks.list_deliveries(tenant, failing.id, PageQuery(limit=2, cursor=page.next_cursor))
    assert [a.attempt for a in page.items + rest.items] == [3, 2, 1] and rest.next_cursor is None


def test_an_event_still_failing_after_24_hours_is_given_up(tenant, local):
    local.statuses["/down"] = [503] * 5
    hook = register(tenant, f"{local.url}/down", ["drift.detected"])
    drift(tenant)
    mine = WebhookDelivery.tenant_id == tenant.tenant_id  # PostgreSQL's database is shared by the run
    with transaction() as session:
        session.execute(update(WebhookDelivery).where(mine).values(created_at=utcnow() - timedelta(hours=24)))
    deliver_due(get_settings())
    with transaction() as session:
        session.execute(update(WebhookDelivery).where(mine).values(next_attempt_at=utcnow() - timedelta(hours=1)))
    deliver_due(get_settings())

    assert len(local.on("/down")) == 1
    (attempt,) = webhooks.list_deliveries(tenant, hook.id, PageQuery()).items
    assert (attempt.status_code, attempt.outcome) == (503, "failed")
    with transaction() as session:
        assert session.scalars(select(WebhookDelivery.status).where(mine)).all() == ["failed"]


def test_two_timers_at_once_send_each_event_once(tenant, local):
    register(tenant, f"{local.url}/hook", ["drift.detected"])
    for number in range(50):  # more than one batch
        drift(tenant, number=number)
    timers = [Thread(target=deliver_due, args=(get_settings(),)) for _ in range(3)]
    for timer in timers:
        timer.start()
    for timer in timers:
        timer.join()
    numbers = sorted(request.event["data"]["number"] for request in local.requests)
    assert numbers == list(range(50))


def test_the_timer_checks_the_url_again_before_each_attempt(tenant, local, monkeypatch):
    hook = register(tenant, f"{local.url}/hook", ["drift.detected"])
    monkeypatch.setenv("WEBHOOKS_ALLOW_PRIVATE", "false")
    get_settings.cache_clear()
    drift(tenant)
    deliver_due(get_settings())
    assert local.requests == []
    (attempt,) = webhooks.list_deliveries(tenant, hook.id, PageQuery()).items
    assert attempt.status_code is None and attempt.outcome == "retrying"
    assert attempt.error == "cannot deliver to this URL: must be an https URL"


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hook", "https://localhost:8443/hook", "https://10.1.2.3/", "https://192.168.0.10/",
        "https://172.16.5.4/", "https://169.254.169.254/latest/meta-data", "https://[::1]/", "https://[fe80::1]/",
        "https://[::ffff:10.0.0.1]/", "https://224.0.0.1/", "https://0.0.0.0/", "http://93.184.216.34/hook",
    ],
)
def test_registration_refuses_private_targets_and_http_when_not_allowed(tenant, monkeypatch, url):
    monkeypatch.setenv("WEBHOOKS_ALLOW_PRIVATE", "false")
    get_settings.cache_clear()
    with pytest.raises(InvalidInput) as refused:
        register(tenant, url)
    assert [error.loc for error in refused.value.errors] == [("url",)]
    assert refused.value.errors[0].msg.startswith(webhooks.REFUSED_URL)
    assert webhooks.list_webhooks(tenant).items == [], "nothing written"


def test_a_public_https_target_is_registered_when_private_ones_are_not_allowed(tenant, monkeypatch):
    monkeypatch.setenv("WEBHOOKS_ALLOW_PRIVATE", "false")
    get_settings.cache_clear()
    assert register(tenant, "https://93.184.216.34:8443/hook?erp=1").url == "https://93.184.216.34:8443/hook?erp=1"


def test_the_secret_is_shown_once_and_stored_only_encrypted(tenant):
    created = register(tenant, "https://93.184.216.34/hook", ["model.activated", "model.activated"])
    assert created.secret.startswith("whsec_") and created.events == ["model.activated"]
    listed = webhooks.list_webhooks(tenant)
    assert [item.id for item in listed.items] == [created.id]
    assert created.secret not in listed.model_dump_json() and "secret" not in listed.items[0].model_dump()
    with transaction() as session:
        stored = session.scalar(select(Webhook.secret_encrypted).where(Webhook.id == created.id))
    assert created.secret not in stored
    assert webhooks.reveal(get_settings(), stored) == created.secret


def test_a_deleted_webhook_gets_nothing_more_and_is_gone(tenant, local):
    hook = register(tenant, f"{local.url}/hook", ["drift.detected"])
    drift(tenant)
    webhooks.delete(tenant, hook.id)
    deliver_due(get_settings())
    assert local.requests == []
    assert webhooks.list_webhooks(tenant).items == []
    with pytest.raises(NotFound):
        webhooks.list_deliveries(tenant, hook.id, PageQuery())
    with pytest.raises(NotFound):
        webhooks.delete(tenant, hook.id)


def test_another_companys_webhook_is_not_found(tenant):
    hook = register(tenant, "https://93.184.216.34/hook")
    other = new_company("Outra Ltda")
    assert webhooks.list_webhooks(other).items == []
    with pytest.raises(NotFound):
        webhooks.list_deliveries(other, hook.id, PageQuery())
    with pytest.raises(NotFound):
        webhooks.delete(other, hook.id)
    assert [item.id for item in webhooks.list_webhooks(tenant).items] == [hook.id]
