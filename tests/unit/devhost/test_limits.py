"""The devhost's server limits over real sockets: slow clients are cut off, oversized bodies refused."""

from __future__ import annotations

import http.client
import socket
import time
from collections.abc import Iterator

import azure.functions as func
import pytest

from shared.config import Settings
from shared.devhost import DevHost
from shared.devhost.bindings import HostOptions

TIMEOUT_SECONDS = 2


def _build_app() -> func.FunctionApp:
    app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)

    @app.route(route="echo", methods=["POST"])
    def echo(req: func.HttpRequest) -> func.HttpResponse:
        return func.HttpResponse(req.get_body())

    return app


APP = _build_app()


def _refuse(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(
        f"refused {req.headers.get('x-tag')}", status_code=413, headers={"X-Refused": req.method}
    )


@pytest.fixture
def address() -> Iterator[tuple[str, int]]:
    settings = Settings(DEVHOST_CHANNEL_TIMEOUT_SECONDS=TIMEOUT_SECONDS)
    with DevHost(
        APP, port=0, settings=settings, options=HostOptions(), max_body_bytes=1000, refuse_large_body=_refuse
    ) as running:
        yield running.host, running.port


def _closed_after(sock: socket.socket, trickle: bytes, limit: float) -> float:
    """Sends `trickle` a byte every 0.2 s; the seconds until the server closed the connection."""
    started = time.monotonic()
    for byte in trickle:
        if time.monotonic() - started > limit:
            break
        try:
            sock.sendall(bytes([byte]))
            sock.settimeout(0.2)
            if sock.recv(1) == b"":
                return time.monotonic() - started
        except TimeoutError:
            continue
        except OSError:
            return time.monotonic() - started
    pytest.fail(f"still open after {limit} s of trickling")


@pytest.mark.parametrize(
    "trickle",
    [
        b"GET /api/echo HTTP/1.1\r\nHost: x\r\nX-Padding: " + b"a" * 100,  # headers, byte by byte
        b"POST /api/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 900\r\n\r\n" + b"a" * 900,  # then a body
    ],
    ids=["headers", "body"],
)
def test_a_request_trickling_in_is_cut_off_after_the_channel_timeout(address, trickle):
    with socket.create_connection(address) as sock:
        head, _, _ = trickle.partition(b"\r\n\r\n")
        sock.sendall(head[:30])  # the request begins at once; what follows trickles in
        assert _closed_after(sock, trickle[30:], limit=8) < TIMEOUT_SECONDS + 2.5


def test_a_connection_that_keeps_requesting_stays_open(address):
    connection = http.client.HTTPConnection(*address, timeout=5)
    for _ in range(3):
        connection.request("POST", "/api/echo", body=b"hi")
        assert connection.getresponse().read() == b"hi"
        time.sleep(TIMEOUT_SECONDS * 0.5)  # each request is quick; together they outlast the timeout
    sock = connection.sock
    connection.request("POST", "/api/echo", body=b"again")
    assert connection.getresponse().read() == b"again"
    assert connection.sock is sock  # the same connection throughout
    connection.close()


def test_a_declared_body_over_the_limit_gets_the_apps_answer_unread(address):
    with socket.create_connection(address, timeout=5) as sock:
        sock.sendall(b"POST /api/echo HTTP/1.1\r\nHost: x\r\nX-Tag: t1\r\nContent-Length: 100000000\r\n\r\n")
        response = http.client.HTTPResponse(sock)
        response.begin()
        assert (response.status, response.read()) == (413, b"refused t1")
        assert response.getheader("X-Refused") == "POST"
