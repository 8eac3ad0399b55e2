"""HTTP calls to the CreditGate API with retries: connection errors, 429 and 5xx are tried again
after a backoff (or the server's Retry-After); everything else is reported at once."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx

from creditgate import __version__
from creditgate.config import Credentials
from creditgate.errors import ApiError, NotSignedIn, Unreachable
from creditgate.retry import should_retry, wait_seconds

Notice = Callable[[str], None]


class Api:
    def __init__(
        self,
        url: str,
        credentials: Credentials = Credentials(),
        retries: int = 8,
        timeout: float = 120.0,
        notice: Notice = lambda message: None,
        sleep: Callable[[float], None] = time.sleep,
    ):
        headers = {"User-Agent": f"creditgate/{__version__}"}
        if credentials.api_key:
            headers["X-API-Key"] = credentials.api_key
        elif credentials.token:
            headers["Authorization"] = f"Bearer {credentials.token}"
        self.url = url
        self.signed_in = len(headers) > 1
        self._http = httpx.Client(base_url=url, headers=headers, timeout=timeout)
        self._retries = retries
        self._notice = notice
        self._sleep = sleep

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Api:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def call(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict | None = None,
        idempotent: bool | None = None,
        auth: bool = True,
        retries: int | None = None,
    ) -> Any:
        """The answer's JSON (None for 204). `idempotent` (default: GET and DELETE) allows retrying a
        request whose outcome is unknown (a dropped connection, 500/502/504); refusals (429/503) and
        connections never made are retried for every request. `retries=0` for sign-in, whose 429
        says how long to wait in a message a person should read rather than sit through."""
        if auth and not self.signed_in:
            raise NotSignedIn("not signed in: run `creditgate login`, or set CREDITGATE_TOKEN or CREDITGATE_API_KEY")
        if idempotent is None:
            idempotent = method in ("GET", "DELETE")
        retries = self._retries if retries is None else retries
        attempt = 0
        while True:
            try:
                answer = self._http.request(method, path, json=json, params=params)
            except httpx.TransportError as exc:
                never_sent = isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout)
                if attempt >= retries or not (never_sent or idempotent):
                    raise Unreachable(f"{method} {self.url}{path}: {exc.__class__.__name__}: {exc}") from exc
                self._wait(attempt, None, f"{exc.__class__.__name__}")
                attempt += 1
                continue
            if answer.is_success:
                return answer.json() if answer.content else None
            if should_retry(answer.status_code, idempotent) and attempt < retries:
                self._wait(attempt, answer.headers.get("Retry-After"), f"HTTP {answer.status_code}")
                attempt += 1
                continue
            error = ApiError(answer.status_code, _problem(answer))
            if should_retry(answer.status_code, idempotent):
                raise Unreachable(f"{method} {path}: {error}" + (f" (after {attempt} retries)" if attempt else "")) from error
            raise error

    def _wait(self, attempt: int, retry_after: str | None, reason: str) -> None:
        seconds = wait_seconds(attempt, retry_after)
        self._notice(f"{reason}; retrying in {seconds:.1f} s (attempt {attempt + 2} of {self._retries + 1})")
        self._sleep(seconds)


def _problem(answer: httpx.Response) -> dict:
    try:
        body = answer.json()
    except ValueError:
        body = None
    return body if isinstance(body, dict) else {"title": answer.reason_phrase, "status": answer.status_code}
