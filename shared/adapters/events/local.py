"""In-process bus for the embedded shape: the devhost's relay and its trigger loop share one process."""

from __future__ import annotations

import itertools
import threading
import time
from collections import deque
from collections.abc import Sequence
from datetime import UTC, datetime

from shared.adapters.events.port import OutgoingEvent, ReceivedEvent


class LocalBus:
    """A FIFO with at-least-once hand-off: events a source took but never acked go back on close."""

    def __init__(self) -> None:
        self._ready = threading.Condition()
        self._queue: deque[ReceivedEvent] = deque()
        self._sequence = itertools.count()

    def put(self, events: Sequence[OutgoingEvent]) -> None:
        now = datetime.now(UTC)
        with self._ready:
            for event in events:
                number = next(self._sequence)
                self._queue.append(
                    ReceivedEvent(event.body, event.partition_key, now, number, str(number), "0")
                )
            self._ready.notify_all()

    def take(self, max_events: int, timeout: float) -> list[ReceivedEvent]:
        deadline = time.monotonic() + timeout
        with self._ready:
            while not self._queue:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not self._ready.wait(remaining):
                    return []
            return [self._queue.popleft() for _ in range(min(max_events, len(self._queue)))]

    def give_back(self, events: Sequence[ReceivedEvent]) -> None:
        with self._ready:
            self._queue.extendleft(reversed(events))
            self._ready.notify_all()


_buses: dict[str, LocalBus] = {}
_buses_lock = threading.Lock()


def local_bus(name: str) -> LocalBus:
    """The process-wide bus for one hub/topic name."""
    with _buses_lock:
        return _buses.setdefault(name, LocalBus())


class LocalPublisher:
    def __init__(self, bus: LocalBus) -> None:
        self._bus = bus

    def publish(self, events: Sequence[OutgoingEvent]) -> None:
        self._bus.put(events)

    def close(self) -> None:
        pass


class LocalEventSource:
    """One consumer of a bus; the consumer group is implicit (all sources of a bus compete)."""

    def __init__(self, bus: LocalBus) -> None:
        self._bus = bus
        self._in_flight: dict[int | None, ReceivedEvent] = {}
        self._lock = threading.Lock()

    def receive(self, max_events: int, timeout: float) -> list[ReceivedEvent]:
        events = self._bus.take(max_events, timeout)
        with self._lock:
            self._in_flight.update((event.sequence_number, event) for event in events)
        return events

    def ack(self, events: Sequence[ReceivedEvent]) -> None:
        with self._lock:
            for event in events:
                self._in_flight.pop(event.sequence_number, None)

    def close(self) -> None:
        with self._lock:
            pending = sorted(self._in_flight.values(), key=lambda event: event.sequence_number or 0)
            self._in_flight.clear()
        self._bus.give_back(pending)
