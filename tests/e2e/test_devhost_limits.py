"""The devhost under abusive clients, over raw sockets: bodies over the API's limit and slow clients."""

from __future__ import annotations

import http.client
import json
import select
import socket
import time
from collections.abc import Iterator
from contextlib import ExitStack
from urllib.parse import urlsplit

import azure.functions as func
import httpx
import pytest

from functions.accounts import signup
from shared.db.migrate import upgrade
from functions.http_api import MAX_BODY_BYTES
from shared.devhost.process import spawn
from tests.e2e.conftest import server_settings

SLOW_CLIENTS = 120  # waitress's own default admits 100 connections in all


@pytest.fixture(scope="module")
def address(tmp_path_factory) -> Iterator[tuple[str, int]]:
    child = spawn(tmp_path_factory.mktemp("devhost-limits"), server_settings(None))
    # Warm: the first request imports what it uses; these tests time the server.
    assert httpx.get(f"{child.url}/health", timeout=60).status_code == 200
    parts = urlsplit(child.url)
    yield parts.hostname, parts.port
    assert child.stop() == 0, child.log.read_text(errors="replace")[-3000:]


def _head(target: str, request_id: str, *headers: str) -> bytes:
    lines = [f"POST {target} HTTP/1.1", "Host: devhost", "Content-Type: application/json"]
    lines += [f"X-Request-Id: {request_id}", *headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _answer(sock: socket.socket) -> tuple[http.client.HTTPResponse, bytes]:
    response = http.client.HTTPResponse(sock)
    response.begin()
    return response, response.read()


def _the_apis_own_413(request_id: str) -> func.HttpResponse:
    """What the sign-up route itself answers to a body one byte over the limit."""
    upgrade()  # this process's own (embedded) database, which the route checks first
    body = b" " * (MAX_BODY_BYTES + 1)
    headers = {"X-Request-Id": request_id}
    return signup(func.HttpRequest("POST", "http://devhost/api/signup", headers=headers, body=body))


def _assert_the_apis_413(response: http.client.HTTPResponse, body: bytes, request_id: str) -> None:
    expected = _the_apis_own_413(request_id)
    assert expected.status_code == 413
    assert response.status == 413
    assert response.getheader("Content-Type") == expected.mimetype == "application/problem+json"
    assert response.getheader("X-Request-Id") == request_id
    assert json.loads(body) == json.loads(expected.get_body())


@pytest.mark.parametrize("declared", [10_000_000, 70_000_000])
def test_a_declared_body_over_the_limit_gets_the_apis_413_before_it_is_sent(address, declared):
    request_id = f"declared-{declared}"
    with socket.create_connection(address, timeout=5) as sock:
        started = time.perf_counter()
        sock.sendall(_head("/api/signup", request_id, f"Content-Length: {declared}"))  # and not one body byte
        response, body = _answer(sock)
        elapsed = time.perf_counter() - started
    _assert_the_apis_413(response, body, request_id)
    assert elapsed < 3  # not waiting for the body


def test_a_chunked_body_stops_being_read_past_the_limit(address):
    request_id = "chunked-over"
    chunk = b"%x\r\n%s\r\n" % (64 * 1024, b" " * 64 * 1024)
    sent = 0
    with socket.create_connection(address, timeout=10) as sock:
        sock.sendall(_head("/api/signup", request_id, "Transfer-Encoding: chunked"))
        while sent < 70_000_000 and not select.select([sock], [], [], 0)[0]:
            try:
                sock.sendall(chunk)
            except OSError:  # the server closed its side: the answer is waiting
                break
            sent += len(chunk)
        response, body = _answer(sock)
    _assert_the_apis_413(response, body, request_id)
    assert sent < 40_000_000  # the limit, plus what the sockets' buffers held; not 64 MiB


def test_slow_clients_do_not_starve_a_normal_request(address):
    with ExitStack() as stack:
        slow = []
        for _ in range(SLOW_CLIENTS):  # slowloris: a request line begun, never finished
            sock = stack.enter_context(socket.create_connection(address, timeout=5))
            sock.sendall(b"POST /api/signup HT")
            slow.append(sock)
        started = time.perf_counter()
        health = httpx.get(f"http://{address[0]}:{address[1]}/api/health", timeout=10)
        elapsed = time.perf_counter() - started
        for sock in slow:
            sock.setblocking(False)
            with pytest.raises(BlockingIOError):  # still open, nothing answered yet
                sock.recv(1)
    assert health.status_code == 200
    assert elapsed < 3
