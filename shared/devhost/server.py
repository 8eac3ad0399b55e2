"""waitress, driven from a thread the devhost owns so that `stop()` works from any thread
(waitress's own `run()` only returns on KeyboardInterrupt or SystemExit), and hardened against
clients that would starve the others: slow ones (slowloris) and oversized bodies."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from waitress import wasyncore
from waitress.channel import HTTPChannel
from waitress.server import TcpWSGIServer
from waitress.task import ErrorTask, ThreadedTaskDispatcher
from waitress.utilities import RequestEntityTooLarge

_POLL_SECONDS = 1.0
# Chunked bodies are counted with their framing (a few bytes a chunk): this much over the body
# limit is still read, and the app (or the WSGI layer) answers it with the same 413.
_CHUNK_FRAMING_ALLOWANCE = 64 * 1024

# (method, path, request headers) -> (status, headers, body): the answer to a body over the limit.
RefuseBody = Callable[[str, str, dict[str, str]], tuple[str, list[tuple[str, str]], bytes]]


@dataclass(frozen=True)
class Limits:
    """What clients may hold: `connection_limit` open connections in all (more wait in the listen
    backlog), each closed once idle for `channel_timeout` seconds or once it has spent that long
    sending one request (headers and body, however slowly they trickle in); bodies over
    `max_body_bytes` are refused by `refuse_body` before they are read."""

    connection_limit: int
    channel_timeout: int
    max_body_bytes: int
    refuse_body: RefuseBody


class _NewestWaiterFirst(threading.Condition):
    """A condition whose `notify` wakes the thread that began waiting last, not first.

    It turns CPython's own queue of waiters around for the call (`_waiters`, oldest first: private,
    but the same from 3.11 to 3.13, and the devhost's tests fail if that changes).
    """

    def notify(self, n: int = 1) -> None:
        self._waiters.reverse()
        try:
            super().notify(n)
        finally:
            self._waiters.reverse()


class _WarmThreadFirst(ThreadedTaskDispatcher):
    """waitress's dispatcher, except that a request goes to the thread that went idle last.

    waitress wakes its idle threads oldest first, so consecutive requests rotate through all of
    them, each landing on a thread (and so, often, a core) whose caches hold none of the request
    path's data; on the thread that has just served a request, a 500-order prediction takes a
    fifth less. Threads still serve requests side by side when they overlap.
    """

    def __init__(self, threads: int) -> None:
        super().__init__()
        self.queue_cv = _NewestWaiterFirst(self.lock)
        self.set_thread_count(threads)


class _RefusedBody(ErrorTask):
    """waitress's error answer, except that a body over the limit gets the app's own answer."""

    def execute(self) -> None:
        if not isinstance(self.request.error, RequestEntityTooLarge):
            super().execute()
            return
        headers = {name.replace("_", "-").lower(): value for name, value in self.request.headers.items()}
        status, answer_headers, body = self.channel.server.limits.refuse_body(
            self.request.command or "GET", self.request.path or "/", headers
        )
        self.status = status
        self.response_headers.extend(answer_headers)
        self.set_close_on_finish()  # the rest of the body is never read
        self.content_length = len(body)
        self.write(body)


class _Channel(HTTPChannel):
    """waitress's channel, noting when the request it is receiving began (see `_Server`)."""

    error_task_class = _RefusedBody
    request_started: float | None = None

    def received(self, data: bytes) -> bool:
        receiving = self.request
        if receiving is None:
            self.request_started = time.time()
        accepted = super().received(data)
        if self.request is None:
            self.request_started = None
        elif receiving is not None and self.request is not receiving:  # one ended, the next began
            self.request_started = time.time()
        return accepted


class _Server(TcpWSGIServer):
    """waitress closes connections idle for `channel_timeout`, but a client sending a byte every few
    seconds is never idle: here a request still arriving after `channel_timeout` closes it too."""

    channel_class = _Channel

    def __init__(self, app: Any, limits: Limits, **options: Any) -> None:
        self.limits = limits
        super().__init__(app, **options)

    def maintenance(self, now: float) -> None:
        super().maintenance(now)
        cutoff = now - self.adj.channel_timeout
        for channel in self.active_channels.values():
            if channel.request_started is not None and channel.request_started < cutoff:
                channel.will_close = True


class HttpServer:
    def __init__(self, app: Any, host: str, port: int, threads: int, limits: Limits) -> None:
        self._map: dict[int, Any] = {}
        self._server = _Server(
            app, limits, map=self._map, dispatcher=_WarmThreadFirst(threads),
            host=host, port=port, ident="creditgate-devhost",
            connection_limit=limits.connection_limit,
            channel_timeout=limits.channel_timeout,
            cleanup_interval=1,  # how often timeouts are checked
            # waitress refuses a body of this size or more
            max_request_body_size=limits.max_body_bytes + 1 + _CHUNK_FRAMING_ALLOWANCE,
            asyncore_use_poll=True,  # as `_serve` polls: no select() limit of 1024 descriptors
        )  # binds and listens here
        self.port: int = self._server.effective_port
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="devhost-http", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float) -> None:
        """Stop accepting, let requests in flight finish (within `timeout`), close every socket."""
        if self._stopping.is_set():
            return
        self._stopping.set()
        if self._thread.ident is None:  # never started: nothing is polling the sockets
            self._close(time.monotonic())
            return
        self._server.pull_trigger()  # wake the poll loop now
        self._thread.join(timeout)

    def _serve(self) -> None:
        while not self._stopping.is_set():
            wasyncore.loop(timeout=_POLL_SECONDS, map=self._map, use_poll=True, count=1)
        self._server.accepting = False
        deadline = time.monotonic() + 3.0
        while time.monotonic() < deadline and self._busy():
            wasyncore.loop(timeout=0.05, map=self._map, use_poll=True, count=1)
        self._close(deadline)

    def _busy(self) -> bool:
        return any(
            channel.requests or channel.total_outbufs_len
            for channel in list(self._map.values())
            if isinstance(channel, HTTPChannel)
        )

    def _close(self, deadline: float) -> None:
        self._server.task_dispatcher.shutdown(timeout=max(0.1, deadline - time.monotonic()))
        wasyncore.close_all(self._map)
