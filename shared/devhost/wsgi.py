"""HTTP triggers behind WSGI: environ -> `func.HttpRequest` -> user function -> WSGI response."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl, quote
from wsgiref.util import is_hop_by_hop, request_uri

import azure.functions as func

from shared.devhost.catalog import FunctionSpec
from shared.devhost.routing import MethodNotAllowed, RouteTable

log = logging.getLogger("shared.devhost")
access_log = logging.getLogger("shared.devhost.access")

DEFAULT_MAX_BODY_BYTES = 64 * 1024 * 1024
Invoke = Callable[[FunctionSpec, Any], Any]
RefuseLargeBody = Callable[[func.HttpRequest], func.HttpResponse]
StartResponse = Callable[[str, list[tuple[str, str]]], Any]


@dataclass(frozen=True)
class Reply:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


_TITLES = {
    404: "Not Found",
    405: "Method Not Allowed",
    413: "Content Too Large",
    500: "Internal Server Error",
}


def problem(status: int, detail: str, headers: Iterable[tuple[str, str]] = ()) -> Reply:
    """RFC 9457 problem details, the error shape of the API itself (titles as in RFC 9110)."""
    body = {"type": "about:blank", "title": _TITLES[status], "status": status, "detail": detail}
    return Reply(status, [("Content-Type", "application/problem+json"), *headers], json.dumps(body).encode())


def _text(wsgi_value: str) -> str:
    """PEP 3333 hands over URL parts as latin-1 decoded bytes; browsers send UTF-8."""
    return wsgi_value.encode("latin-1").decode("utf-8", "replace")


def _headers(environ: dict[str, Any]) -> dict[str, str]:
    headers = {
        key[5:].replace("_", "-").lower(): value for key, value in environ.items() if key.startswith("HTTP_")
    }
    for key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        if environ.get(key):
            headers[key.replace("_", "-").lower()] = environ[key]
    # The caller's address, as Azure's front end passes it; a client cannot choose it.
    headers["x-forwarded-for"] = environ.get("REMOTE_ADDR", "")
    return headers


def _query(environ: dict[str, Any]) -> dict[str, str]:
    """Repeated keys are joined with commas, as the Functions host does."""
    params: dict[str, str] = {}
    for key, value in parse_qsl(_text(environ.get("QUERY_STRING", "")), keep_blank_values=True):
        params[key] = f"{params[key]},{value}" if key in params else value
    return params


def _reply_from(result: Any, function_name: str) -> Reply:
    if isinstance(result, func.HttpResponse):
        headers = [
            (name, value)
            for name, value in result.headers.items()
            if not is_hop_by_hop(name) and name.lower() != "content-length"
        ]
        if not any(name.lower() == "content-type" for name, _ in headers):
            # The worker's rule (azure.functions.http.HttpResponseConverter): charset only for text/*.
            charset = f"; charset={result.charset}" if result.mimetype.startswith("text/") else ""
            headers.append(("Content-Type", result.mimetype + charset))
        return Reply(result.status_code, headers, result.get_body())
    if isinstance(result, str):
        return Reply(200, [("Content-Type", "text/plain; charset=utf-8")], result.encode())
    if result is None:
        return Reply(204, [], b"")
    log.error("function %s returned %s instead of an HttpResponse", function_name, type(result).__name__)
    return problem(500, "The function returned an invalid response.")


def _status_line(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"{status} Unknown"


class FunctionsWsgiApp:
    """Serves the HTTP-triggered functions. A body over `max_body_bytes` gets the app's own answer
    (`refuse_large_body`, given the request without its body) or else the devhost's 413; the server
    refuses most such bodies before reading them (`refuse_body`), this layer the rest."""

    def __init__(
        self,
        routes: RouteTable[FunctionSpec],
        invoke: Invoke,
        max_body_bytes: int,
        refuse_large_body: RefuseLargeBody | None = None,
    ) -> None:
        self._routes = routes
        self._invoke = invoke
        self._max_body_bytes = max_body_bytes
        self._refuse_large_body = refuse_large_body

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        started = time.perf_counter()
        method = environ["REQUEST_METHOD"].upper()
        path = _text(environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", ""))
        reply = self._handle(environ, method, path)
        start_response(_status_line(reply.status), reply.headers)
        self._log(method, path, reply, started)
        return [reply.body]

    def refuse_body(
        self, method: str, path: str, headers: dict[str, str]
    ) -> tuple[str, list[tuple[str, str]], bytes]:
        """The answer to a body the server refused before reading it (`server.Limits`)."""
        started = time.perf_counter()
        reply = self._too_large(method.upper(), _text(path), headers)
        self._log(method.upper(), _text(path), reply, started)
        return _status_line(reply.status), reply.headers, reply.body

    def _too_large(self, method: str, path: str, headers: dict[str, str]) -> Reply:
        if self._refuse_large_body is None:
            return problem(413, f"The request body is larger than {self._max_body_bytes} bytes.")
        request = func.HttpRequest(method, path, headers=headers, body=b"")
        return _reply_from(self._refuse_large_body(request), "refuse_large_body")

    @staticmethod
    def _log(method: str, path: str, reply: Reply, started: float) -> None:
        elapsed_ms = (time.perf_counter() - started) * 1000
        request_id = next((value for name, value in reply.headers if name.lower() == "x-request-id"), "-")
        access_log.info(
            "%s %s %d %.1fms request_id=%s",
            method, quote(path, safe="/:@!$&'()*+,;=~"), reply.status, elapsed_ms, request_id,
        )

    def _handle(self, environ: dict[str, Any], method: str, path: str) -> Reply:
        found = self._routes.resolve(method, path)
        if found is None:
            return problem(404, f"No function serves {path}.")
        if isinstance(found, MethodNotAllowed):
            allowed = ", ".join(found.allowed)
            return problem(405, f"{method} is not allowed here; use {allowed}.", [("Allow", allowed)])
        length = int(environ.get("CONTENT_LENGTH") or 0)
        if length > self._max_body_bytes:
            return self._too_large(method, path, _headers(environ))
        request = func.HttpRequest(
            method,
            request_uri(environ),
            headers=_headers(environ),
            params=_query(environ),
            route_params=found.params,
            body=environ["wsgi.input"].read(length) if length else b"",
        )
        try:
            result = self._invoke(found.target, request)
        except Exception:
            log.exception("function %s failed", found.target.name)
            return problem(500, "The function failed; the devhost log has the details.")
        return _reply_from(result, found.target.name)
