"""The functions a FunctionApp declares, and calling them the way the Python worker does."""

from __future__ import annotations

import asyncio
import enum
import inspect
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from shared.devhost.errors import DevHostError

HTTP_TRIGGER, EVENT_HUB_TRIGGER, TIMER_TRIGGER = "httpTrigger", "eventHubTrigger", "timerTrigger"
SUPPORTED_TRIGGERS = frozenset({HTTP_TRIGGER, EVENT_HUB_TRIGGER, TIMER_TRIGGER})


@dataclass(frozen=True)
class FunctionSpec:
    name: str
    trigger: dict[str, Any]  # the trigger's function.json dict, enums turned into their values
    arg_name: str
    func: Callable[..., Any]

    @property
    def trigger_type(self) -> str:
        return str(self.trigger["type"])


# FunctionApp.get_functions() works once per app: a second call reports every name as a duplicate.
_INDEX: weakref.WeakKeyDictionary[Any, tuple[FunctionSpec, ...]] = weakref.WeakKeyDictionary()
_INDEX_LOCK = threading.Lock()


def index_functions(app: Any) -> tuple[FunctionSpec, ...]:
    """The app's functions; fails on anything the devhost could not call faithfully."""
    with _INDEX_LOCK:
        if app not in _INDEX:
            _INDEX[app] = tuple(_spec(function) for function in app.get_functions())
        return _INDEX[app]


def _plain(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def _spec(function: Any) -> FunctionSpec:
    name = function.get_function_name()
    trigger = function.get_trigger()
    if trigger is None:
        raise DevHostError(f"function {name}: it has no trigger")
    info = {key: _plain(value) for key, value in trigger.get_dict_repr().items()}
    if info["type"] not in SUPPORTED_TRIGGERS:
        raise DevHostError(
            f"function {name}: {info['type']} is not supported by the devhost (use func start)"
        )
    for binding in function.get_bindings():
        if binding is not trigger and not (binding.type == "http" and binding.name == "$return"):
            raise DevHostError(
                f"function {name}: {binding.type} binding {binding.name!r} is not supported by the devhost"
            )
    user_function = function.get_user_function()
    parameters = inspect.signature(user_function).parameters
    if trigger.name not in parameters:
        raise DevHostError(f"function {name}: it has no parameter {trigger.name!r} for its trigger")
    for parameter in parameters.values():
        required = parameter.default is inspect.Parameter.empty and parameter.kind not in (
            inspect.Parameter.VAR_POSITIONAL,
            inspect.Parameter.VAR_KEYWORD,
        )
        if required and parameter.name != trigger.name:
            raise DevHostError(
                f"function {name}: parameter {parameter.name!r} is not supported by the devhost"
            )
    return FunctionSpec(name=name, trigger=info, arg_name=trigger.name, func=user_function)


class Invoker:
    """Sync functions run in the caller's thread; coroutine functions on one long-lived event loop,
    as in the Python worker, so loop-bound clients an app caches keep working between invocations."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="devhost-asyncio", daemon=True)
        self._thread.start()

    def stop(self, timeout: float) -> None:
        if self._loop is None or self._thread is None:
            return
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout)
        if not self._thread.is_alive():
            self._loop.close()
        self._loop = self._thread = None

    def __call__(self, spec: FunctionSpec, argument: Any) -> Any:
        result = spec.func(**{spec.arg_name: argument})
        if not inspect.iscoroutine(result):
            return result
        if self._loop is None:
            result.close()
            raise RuntimeError("the devhost is not running")
        return asyncio.run_coroutine_threadsafe(result, self._loop).result()
