"""A real HTTP proxy in front of a devhost that refuses the first requests as told (503, 429 with or
without Retry-After) and can slow every request down: the faults a client must ride out, on the wire."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx

FORWARDED_HEADERS = ("content-type", "authorization", "x-api-key")


class FlakyProxy:
    def __init__(self, upstream_api: str, refusals: list[tuple[int, str | None]] = (), delay: float = 0.0):
        self.origin = upstream_api.rsplit("/api", 1)[0]
        self.refusals = list(refusals)
        self.delay = delay
        self.requests: list[tuple[float, str, str, int]] = []  # (monotonic time, method, path, status)
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/api"

    def refused(self) -> list[tuple[float, str, str, int]]:
        return [request for request in self.requests if request[3] in (429, 503)]

    def __enter__(self) -> FlakyProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self
        upstream = httpx.Client(base_url=self.origin, timeout=120)

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def _serve(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with proxy._lock:
                    refusal = proxy.refusals.pop(0) if proxy.refusals else None
                if refusal:
                    status, retry_after = refusal
                    headers = {"Content-Type": "application/problem+json"}
                    if retry_after is not None:
                        headers["Retry-After"] = retry_after
                    content = b'{"title":"refused by the test proxy","status":%d}' % status
                else:
                    time.sleep(proxy.delay)
                    answer = upstream.request(
                        self.command,
                        self.path,
                        content=body,
                        headers={name: self.headers[name] for name in FORWARDED_HEADERS if self.headers[name]},
                    )
                    status, content = answer.status_code, answer.content
                    headers = {name: answer.headers[name] for name in ("content-type", "retry-after") if name in answer.headers}
                with proxy._lock:
                    proxy.requests.append((time.monotonic(), self.command, self.path, status))
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

            do_GET = do_POST = do_DELETE = do_PUT = _serve

        return Handler
