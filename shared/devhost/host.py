"""DevHost: the function app's HTTP, Event Hub and timer triggers in one local process."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from shared.adapters.events import event_source_from_settings
from shared.config import Settings, load_settings
from shared.devhost.bindings import HostOptions, resolve
from shared.devhost.catalog import (
    EVENT_HUB_TRIGGER,
    HTTP_TRIGGER,
    TIMER_TRIGGER,
    FunctionSpec,
    Invoker,
    index_functions,
)
from shared.devhost.errors import DevHostError
from shared.devhost.routing import RouteTable
from shared.devhost.server import HttpServer, Limits
from shared.devhost.triggers import EventHubWorker, Schedule, TimerWorker
from shared.devhost.wsgi import DEFAULT_MAX_BODY_BYTES, FunctionsWsgiApp, RefuseLargeBody

log = logging.getLogger("shared.devhost")


class DevHost:
    """Start with `start()` (returns once the socket is bound), stop with `stop()`; also a context
    manager. Port 0 picks a free port; `url` is the base URL including the route prefix.
    A body over `max_body_bytes` is refused, before it is read where the server can, with
    `refuse_large_body(request without its body)` when given (the app's own answer)."""

    def __init__(
        self,
        app: Any,
        host: str = "127.0.0.1",
        port: int = 7071,
        *,
        settings: Settings | None = None,
        options: HostOptions | None = None,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        refuse_large_body: RefuseLargeBody | None = None,
        threads: int = 8,
    ) -> None:
        self.settings = settings if settings is not None else load_settings()
        self.options = options if options is not None else HostOptions.load()
        self.host, self._port, self._threads = host, port, threads
        self._invoker = Invoker()
        self._routes: RouteTable[FunctionSpec] = RouteTable()
        self._hubs: list[tuple[FunctionSpec, str, str]] = []
        self._timers: list[tuple[FunctionSpec, Schedule]] = []
        for spec in index_functions(app):
            self._register(spec)
        self._app = FunctionsWsgiApp(self._routes, self._invoker, max_body_bytes, refuse_large_body)
        self._limits = Limits(
            connection_limit=self.settings.devhost_connection_limit,
            channel_timeout=self.settings.devhost_channel_timeout_seconds,
            max_body_bytes=max_body_bytes,
            refuse_body=self._app.refuse_body,
        )
        self._server: HttpServer | None = None
        self._stop_workers = threading.Event()
        self._workers: list[threading.Thread] = []

    def _register(self, spec: FunctionSpec) -> None:
        trigger = spec.trigger
        if spec.trigger_type == HTTP_TRIGGER:
            route = "/".join(filter(None, (self.options.route_prefix, trigger.get("route") or spec.name)))
            self._routes.add(route, trigger.get("methods"), spec)
            log.info("http      %s /%s -> %s", ",".join(trigger.get("methods") or ["*"]), route, spec.name)
        elif spec.trigger_type == EVENT_HUB_TRIGGER:
            hub = resolve(trigger["eventHubName"])
            group = resolve(trigger.get("consumerGroup") or "$Default")
            self._hubs.append((spec, hub, group))
            log.info("eventhub  %s (%s) -> %s", hub, group, spec.name)
        elif spec.trigger_type == TIMER_TRIGGER:
            self._timers.append((spec, Schedule(resolve(trigger["schedule"]))))
            log.info("timer     %s -> %s", trigger["schedule"], spec.name)

    @property
    def port(self) -> int:
        return self._server.port if self._server else self._port

    @property
    def url(self) -> str:
        base = f"http://{self.host}:{self.port}"
        return f"{base}/{self.options.route_prefix}" if self.options.route_prefix else base

    def start(self) -> DevHost:
        try:
            self._invoker.start()
            try:
                self._server = HttpServer(self._app, self.host, self._port, self._threads, self._limits)
            except OSError as exc:
                raise DevHostError(
                    f"cannot listen on {self.host}:{self._port} ({exc.strerror or exc})"
                ) from None
            self._server.start()
            for spec, hub, group in self._hubs:
                source = event_source_from_settings(self.settings, hub, group)
                if source is None:
                    log.warning(
                        "function %s: EVENTS_BACKEND=%s has no local consumer; not run here",
                        spec.name,
                        self.settings.events_backend,
                    )
                    continue
                worker = EventHubWorker(
                    spec, source, self._invoker, self._stop_workers, self.options.max_event_batch_size
                )
                self._spawn(spec, worker.run)
            for spec, schedule in self._timers:
                self._spawn(spec, TimerWorker(spec, schedule, self._invoker, self._stop_workers).run)
        except BaseException:
            self.stop()
            raise
        return self

    def _spawn(self, spec: FunctionSpec, target: Callable[[], None]) -> None:
        thread = threading.Thread(target=target, name=f"devhost-{spec.name}", daemon=True)
        self._workers.append(thread)
        thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Idempotent. Threads stuck in a user function past `timeout` are left behind (daemons)."""
        deadline = time.monotonic() + timeout
        self._stop_workers.set()
        if self._server is not None:
            self._server.stop(timeout)
        for thread in self._workers:
            thread.join(max(0.0, deadline - time.monotonic()))
            if thread.is_alive():
                log.warning("%s did not stop within %.0f s", thread.name, timeout)
        self._invoker.stop(max(0.1, deadline - time.monotonic()))

    def __enter__(self) -> DevHost:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
