"""The webhook SSRF guard, the retry backoff and the signature, without a network (literal
addresses and `localhost` only: no external DNS)."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import socket

import pytest

from shared.adapters.webhook_http import Refused, Target, is_public, target
from shared.services.webhook_delivery import MAX_DELAY_SECONDS, backoff
from shared.services.webhooks import signature


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1", "10.0.0.1", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0",
        "224.0.0.1", "240.0.0.1", "255.255.255.255", "::1", "::", "fe80::1", "fc00::1", "ff02::1",
        "::ffff:127.0.0.1", "::ffff:10.0.0.1", "2002:a00:1::1", "2001:0:4136:e378:8000:63bf:f5ff:fffe",
    ],
)
def test_private_loopback_link_local_multicast_reserved_and_embedded_ones_are_not_public(address):
    assert not is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111", "::ffff:93.184.216.34"])
def test_global_unicast_addresses_are_public(address):
    assert is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("https://127.0.0.1/hook", "public addresses only"),
        ("https://localhost:8443/hook", "public addresses only"),
        ("https://[fe80::1]/", "public addresses only"),
        ("http://93.184.216.34/hook", "https"),
        ("ftp://93.184.216.34/", "https"),
        ("https://user:pass@93.184.216.34/", "user name or password"),
        ("https://93.184.216.34:99999/", "not a valid URL"),
        ("https://[zz]/", "not a valid URL"),
        ("https:///path", "no host"),
    ],
)
def test_refused_urls_say_why_without_naming_addresses(url, reason):
    with pytest.raises(Refused, match=reason) as refused:
        target(url, allow_private=False)
    assert "127.0.0.1" not in str(refused.value) and "::1" not in str(refused.value)


def test_a_public_address_is_taken_as_written():
    for url in ("https://93.184.216.34:8443/a?b=1", "https://[2606:4700:4700::1111]/x"):
        assert target(url, allow_private=False) == Target(url)


def test_a_public_name_is_pinned_to_the_address_checked_and_keeps_its_name(monkeypatch):
    """The resolver answers what a public name would (no external DNS in tests)."""
    answers = {"erp.example.com.br": ["93.184.216.34", "2606:4700:4700::1111"]}
    monkeypatch.setattr(socket, "getaddrinfo", lambda host, port, **_: [
        (socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port)) for address in answers[host]
    ])
    pinned = target("https://erp.example.com.br:8443/hook?x=1", allow_private=False)
    assert pinned == Target("https://93.184.216.34:8443/hook?x=1", "erp.example.com.br:8443", "erp.example.com.br")
    answers["erp.example.com.br"].append("10.0.0.7")  # one private answer among public ones is refused
    with pytest.raises(Refused, match="public addresses only"):
        target("https://erp.example.com.br/hook", allow_private=False)


def test_local_development_allows_http_and_private_targets_as_given():
    for url in ("http://127.0.0.1:8080/hook", "https://localhost/hook", "http://10.0.0.5/"):
        assert target(url, allow_private=True).url == url
    with pytest.raises(Refused, match="https"):
        target("ftp://127.0.0.1/", allow_private=True)


def test_backoff_grows_with_each_attempt_up_to_an_hour_with_jitter():
    for _ in range(200):
        waits = [backoff(10, attempt).total_seconds() for attempt in range(1, 10)]
        assert all(earlier < later for earlier, later in zip(waits, waits[1:])), waits
        assert all(10 * 2 ** n <= wait < 15 * 2 ** n for n, wait in enumerate(waits))
    late = {backoff(10, 30).total_seconds() for _ in range(50)}
    assert all(MAX_DELAY_SECONDS <= wait < 1.5 * MAX_DELAY_SECONDS for wait in late) and len(late) > 1


def test_the_signature_is_an_hmac_of_the_timestamp_and_the_body():
    body = b'{"id":"e1","type":"model.activated"}'
    expected = hmac.new(b"whsec_abc", b"1700000000." + body, hashlib.sha256).hexdigest()
    assert signature("whsec_abc", 1700000000, body) == f"t=1700000000,v1={expected}"
