"""waitress, driven from a thread the devhost owns so that `stop()` works from any thread
(waitress's own `run()` only returns on KeyboardInterrupt or SystemExit)."""

from __future__ import annotations

import threading
import time
from typing import Any

import waitress
from waitress import wasyncore
from waitress.channel import HTTPChannel

_POLL_SECONDS = 1.0


class HttpServer:
    def __init__(self, app: Any, host: str, port: int, threads: int) -> None:
        self._map: dict[int, Any] = {}
        self._server = waitress.create_server(
            app, map=self._map, host=host, port=port, threads=threads, ident="creditgate-devhost"
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
