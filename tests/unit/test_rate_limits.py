"""The pure parts of the rate limits: who counts as one caller, the per-company token bucket and
the bound on concurrent password hashing."""

from __future__ import annotations

import threading
import time
import uuid

import pytest

from shared.config import get_settings
from shared.errors import TooManyRequests
from shared.services import request_rate, signin_limits


@pytest.mark.parametrize(
    ("address", "network"),
    [
        ("203.0.113.9", "203.0.113.9"),
        ("203.0.113.9:51234", "203.0.113.9"),
        ("::ffff:203.0.113.9", "203.0.113.9"),
        ("[2001:db8:1:2:3:4:5:6]:443", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff::1", "2001:db8:1:2::/64"),
        ("", ""),
        ("Not-An-Address", "not-an-address"),
    ],
)
def test_callers_are_counted_per_ipv4_address_and_per_ipv6_64(address, network):
    assert signin_limits.client_network(address) == network


def test_a_company_over_its_rate_is_refused_until_a_request_is_due_and_others_are_not(monkeypatch):
    monkeypatch.setenv("TENANT_REQUESTS_PER_MINUTE", "12")  # one every 5 s
    get_settings.cache_clear()
    settings = get_settings()
    busy, quiet = uuid.uuid4(), uuid.uuid4()
    for _ in range(12):
        request_rate.admit(settings, busy)
    with pytest.raises(TooManyRequests) as raised:
        request_rate.admit(settings, busy)
    assert raised.value.retry_after in (4, 5)
    request_rate.admit(settings, quiet)


def test_the_buckets_of_companies_that_went_quiet_are_dropped(monkeypatch):
    monkeypatch.setenv("TENANT_REQUESTS_PER_MINUTE", "6000000")  # refilled within 10 microseconds
    get_settings.cache_clear()
    settings = get_settings()
    for _ in range(20_000):
        request_rate.admit(settings, uuid.uuid4())
        time.sleep(0.00002)
    assert len(request_rate._buckets) < 10_001


def test_password_hashing_beyond_the_running_and_waiting_slots_is_refused_at_once():
    slots = signin_limits.HashingSlots(running=1, waiting=0)
    inside, release = threading.Event(), threading.Event()

    def hold() -> None:
        with slots():
            inside.set()
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    assert inside.wait(10)
    with pytest.raises(TooManyRequests) as raised:
        with slots():
            pass
    assert raised.value.retry_after == 1
    release.set()
    holder.join()
    with slots():  # free again
        pass
