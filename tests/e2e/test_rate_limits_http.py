"""Rate limits over HTTP (DESIGN §4, §7): two devhosts on one database stand for two instances.

Each test calls from its own loopback address (127.0.0.x), which the devhost passes on as
X-Forwarded-For whatever the client sends in that header."""

from __future__ import annotations

import secrets
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from shared.devhost.process import ChildDevhost, spawn
from tests.services import PostgresUnavailable, throwaway_postgres, unavailable

PASSWORD = "uma senha bem longa"
WINDOW = 86_400  # a day: the odds that a test straddles two windows are small
LIMITS = {
    "SIGNIN_WINDOW_SECONDS": str(WINDOW),
    "SIGNIN_MAX_FAILURES_PER_EMAIL": "3",
    "SIGNIN_MAX_ATTEMPTS_PER_ADDRESS": "8",
    "TENANT_REQUESTS_PER_MINUTE": "30",
}


@dataclass
class Instances:
    both: tuple[ChildDevhost, ChildDevhost]

    def client(self, number: int, source: str, **kwargs) -> httpx.Client:
        """A client of instance `number` (0 or 1) calling from the loopback address `source`."""
        transport = httpx.HTTPTransport(local_address=source)
        return httpx.Client(base_url=self.both[number].url, timeout=60, transport=transport, **kwargs)

    def signup(self, source: str) -> tuple[str, dict[str, str]]:
        email = f"lim-{uuid.uuid4().hex[:10]}@exemplo.com.br"
        with self.client(0, source) as client:
            body = {"company": "Limites Ltda", "email": email, "password": PASSWORD}
            answer = client.post("/signup", json=body)
        assert answer.status_code == 201, answer.text
        return email, {"Authorization": f"Bearer {answer.json()['access_token']}"}


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def instances(request, tmp_path_factory) -> Iterator[Instances]:
    if request.param == "postgresql":
        try:
            with throwaway_postgres() as url:
                yield from _two_instances(url, tmp_path_factory)
        except PostgresUnavailable as exc:
            unavailable(str(exc))
    else:
        shared = tmp_path_factory.mktemp("limits-sqlite") / "creditgate.db"
        yield from _two_instances(f"sqlite:///{shared}", tmp_path_factory)


def _two_instances(database_url: str, tmp_path_factory) -> Iterator[Instances]:
    settings = {
        "EVENTS_BACKEND": "local", "MODEL_STORE": "local", "DATABASE_URL": database_url,
        "JWT_SECRET": secrets.token_urlsafe(32), "DOCUMENT_HASH_KEY": secrets.token_urlsafe(32), **LIMITS,
    }  # fmt: skip
    left = WINDOW - time.time() % WINDOW
    if left < 120:  # counts restart when a window ends: start the tests in a fresh one
        time.sleep(left + 0.1)
    first = spawn(tmp_path_factory.mktemp("limits-a"), settings)
    try:
        second = spawn(tmp_path_factory.mktemp("limits-b"), settings)
        try:
            yield Instances((first, second))
        finally:
            assert second.stop() == 0
    finally:
        assert first.stop() == 0


def assert_too_many_requests(answer: httpx.Response, longest: int) -> None:
    assert answer.status_code == 429, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert 1 <= int(answer.headers["retry-after"]) <= longest
    body = answer.json()
    assert body["type"] == "urn:creditgate:problem:too-many-requests"
    assert (body["title"], body["status"], body["errors"]) == ("Too Many Requests", 429, [])
    assert body["detail"] and body["request_id"] == answer.headers["x-request-id"]


def test_wrong_passwords_turn_into_429_on_every_instance(instances: Instances):
    source = "127.0.0.2"
    email, _ = instances.signup(source)
    answers = []
    for attempt in range(30):
        with instances.client(attempt % 2, source) as client:
            answers.append(client.post("/token", json={"email": email, "password": "senha errada demais"}))
    assert [answer.status_code for answer in answers] == [401] * 3 + [429] * 27
    for answer in answers[3:]:
        assert_too_many_requests(answer, WINDOW)
        assert email not in answer.text
    for number in (0, 1):  # the right password too, until the window ends
        with instances.client(number, source) as client:
            right = client.post("/token", json={"email": email, "password": PASSWORD})
            assert_too_many_requests(right, WINDOW)


def test_an_address_is_limited_across_emails_whatever_x_forwarded_for_says(instances: Instances):
    source = "127.0.0.3"
    statuses = []
    for attempt in range(12):
        spoofed = {"X-Forwarded-For": f"198.51.100.{attempt}"}
        with instances.client(attempt % 2, source, headers=spoofed) as client:
            unknown = f"ninguem-{attempt}-{uuid.uuid4().hex[:6]}@exemplo.com.br"
            statuses.append(client.post("/token", json={"email": unknown, "password": PASSWORD}).status_code)
    assert statuses == [401] * 8 + [429] * 4

    body = {"company": "Nova", "email": f"nova-{uuid.uuid4().hex[:8]}@exemplo.com.br", "password": PASSWORD}
    with instances.client(1, source) as client:
        assert_too_many_requests(client.post("/signup", json=body), WINDOW)
    with instances.client(1, "127.0.0.4") as client:
        assert client.post("/signup", json=body).status_code == 201


def test_a_company_over_its_request_rate_gets_429_and_another_company_does_not(instances: Instances):
    source = "127.0.0.5"
    _, busy = instances.signup(source)
    _, quiet = instances.signup(source)
    with instances.client(0, source, headers=busy) as client:
        answers = [client.get("/models") for _ in range(45)]
    assert [answer.status_code for answer in answers[:30]] == [200] * 30
    refused = [answer for answer in answers[30:] if answer.status_code != 200]
    assert refused, "45 requests at once stayed under a rate of 30 a minute"
    for answer in refused:
        assert_too_many_requests(answer, 2)  # a request is due every 2 s
    with instances.client(0, source, headers=quiet) as client:
        assert client.get("/models").status_code == 200
