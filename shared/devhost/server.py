"""waitress, driven from a thread the devhost owns so that `stop()` works from any thread
(waitress's own `run()` only returns on KeyboardInterrupt or SystemExit)."""

from __future__ import annotations

import threading
import time
from typing import Any

import waitress
from waitress import wasyncore
from waitress.channel import HTTPChannel
from waitress.task import ThreadedTaskDispatcher

_POLL_SECONDS = 1.0


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


class HttpServer:
    def __init__(self, app: Any, host: str, port: int, threads: int) -> None:
        self._map: dict[int, Any] = {}
        self._server = waitress.create_server(
            app, map=self._map, host=host, port=port, threads=threads, ident="creditgate-devhost",
            _dispatcher=_WarmThreadFirst(threads),  # waitress's hook for its own tests; stable since 1.0
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
