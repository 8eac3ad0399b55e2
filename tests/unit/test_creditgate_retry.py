"""The client's retry schedule and its credentials file: pure parts, no server."""

import os
import stat
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from creditgate import config
from creditgate.retry import MAX_RETRY_AFTER, backoff, retry_after, should_retry, wait_seconds


def test_backoff_doubles_from_a_quarter_second_up_to_thirty_seconds_with_half_of_it_random():
    assert [backoff(n, rng=lambda: 0.0) for n in range(8)] == [0.25, 0.5, 1, 2, 4, 8, 15, 15]
    assert [backoff(n, rng=lambda: 1.0) for n in range(8)] == [0.5, 1, 2, 4, 8, 16, 30, 30]


def test_retry_after_reads_seconds_and_http_dates_and_caps_them():
    now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    assert retry_after("3") == 3.0
    assert retry_after(format_datetime(now + timedelta(seconds=10), usegmt=True), now=lambda: now) == 10.0
    assert retry_after(format_datetime(now - timedelta(seconds=10), usegmt=True), now=lambda: now) == 0.0
    assert retry_after("86400") == MAX_RETRY_AFTER
    assert retry_after(None) is None and retry_after("soon") is None


def test_the_server_s_retry_after_wins_over_the_backoff():
    assert wait_seconds(5, "2", rng=lambda: 0.0) == 2.0
    assert wait_seconds(5, None, rng=lambda: 0.0) == backoff(5, rng=lambda: 0.0)


@pytest.mark.parametrize(
    ("status", "idempotent", "expected"),
    [(429, False, True), (503, False, True), (500, False, False), (500, True, True), (502, True, True),
     (504, True, True), (400, True, False), (409, True, False), (422, True, False), (501, True, False)],
)
def test_refusals_are_retried_always_failures_only_when_a_resend_is_harmless(status, idempotent, expected):
    assert should_retry(status, idempotent) is expected


def test_login_keeps_the_token_owner_only_per_server_and_the_environment_wins(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    monkeypatch.delenv("CREDITGATE_TOKEN", raising=False)
    monkeypatch.delenv("CREDITGATE_API_KEY", raising=False)
    path = config.store_token("http://a/api", "ana@example.com", "token-a")
    config.store_token("http://b/api", "bia@example.com", "token-b")
    assert path == tmp_path / "creditgate" / "credentials.json"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert config.credentials("http://a/api") == config.Credentials(token="token-a")
    assert config.credentials("http://c/api") == config.Credentials()
    monkeypatch.setenv("CREDITGATE_API_KEY", "cgk_x")
    assert config.credentials("http://a/api") == config.Credentials(api_key="cgk_x")
