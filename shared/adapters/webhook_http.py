"""Sending a webhook: where it may go (the SSRF guard) and the POST itself.

A URL is checked after DNS resolution, every address it resolves to, and the POST connects to
the address that was checked, the host name going only into the Host header and the TLS server
name (so the certificate is still checked against it): a name that resolves elsewhere between
the check and the connection (DNS rebinding) cannot reach an internal address. Redirects are
not followed, for the same reason.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import httpx

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
ERROR_CHARS = 500


class Refused(ValueError):
    """The URL may not be delivered to; the message says why (it never names resolved addresses)."""


@dataclass(frozen=True)
class Target:
    url: str  # what is requested: the checked address in place of the host name, when pinned
    host_header: str | None = None  # when pinned: the URL's own host (and port)
    server_name: str | None = None  # when pinned: the name TLS asks for and checks the certificate against


@dataclass(frozen=True)
class Answer:
    status_code: int | None
    latency_ms: int
    error: str | None

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def target(url: str, *, allow_private: bool) -> Target:
    """Where a POST to `url` goes. Without `allow_private`: https only, and only to public addresses."""
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError:
        raise Refused("not a valid URL") from None
    if parts.scheme not in (("https", "http") if allow_private else ("https",)):
        raise Refused("must be an https URL")
    if not host:
        raise Refused("has no host")
    if "@" in parts.netloc:
        raise Refused("must not carry a user name or password")
    if allow_private:
        return Target(url)
    addresses = _resolve(host, port or 443)
    if not all(map(is_public, addresses)):
        raise Refused("must resolve to public addresses only (not private, loopback, link-local or reserved)")
    if _is_address(host):
        return Target(url)  # nothing was resolved: there is nothing to pin
    address = addresses[0]
    pinned = f"[{address}]" if address.version == 6 else str(address)
    return Target(
        urlunsplit(parts._replace(netloc=pinned if port is None else f"{pinned}:{port}")), parts.netloc, host
    )


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _resolve(host: str, port: int) -> list[Address]:
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise Refused("the host name does not resolve") from None
    # An IPv6 link-local answer carries its interface ("fe80::1%eth0"); the address is what counts.
    return list(dict.fromkeys(ipaddress.ip_address(info[4][0].partition("%")[0]) for info in found))


def is_public(address: Address) -> bool:
    """A globally routable unicast address; IPv6 forms that embed an IPv4 address are judged by it."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour or (address.teredo or (None, None))[1]
        if embedded is not None:
            return is_public(embedded)
    return address.is_global and not (
        address.is_multicast or address.is_private or address.is_loopback or address.is_link_local
        or address.is_reserved or address.is_unspecified
    )


def post(to: Target, body: bytes, headers: dict[str, str], timeout: float) -> Answer:
    """One attempt; its answer's body is never read (a receiver owes us only a status)."""
    if to.host_header is not None:
        headers = {**headers, "Host": to.host_header}
    extensions = {"sni_hostname": to.server_name} if to.server_name is not None else {}
    started = time.perf_counter()
    try:
        # trust_env=False: no proxy from the environment, which would connect on our behalf unchecked.
        with httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False) as client:
            request = client.build_request("POST", to.url, content=body, headers=headers, extensions=extensions)
            response = client.send(request, stream=True)
            response.close()
        status, error = response.status_code, None
    except httpx.HTTPError as exc:
        status, error = None, f"{type(exc).__name__}: {exc}"[:ERROR_CHARS]
    latency_ms = round((time.perf_counter() - started) * 1000)
    if status is not None and not 200 <= status < 300:
        error = f"answered HTTP {status}"
    return Answer(status, latency_ms, error)
