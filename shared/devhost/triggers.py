"""Event Hub and timer triggers, each run by one background thread that calls the same function the
Functions host would call, with the same `azure.functions` objects."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import azure.functions as func
from azure.functions.timer import TimerRequest
from croniter import croniter

from shared.adapters.events.port import EventSource, ReceivedEvent
from shared.devhost.catalog import FunctionSpec
from shared.devhost.errors import DevHostError

log = logging.getLogger("shared.devhost")

Invoke = Callable[[FunctionSpec, Any], Any]
RECEIVE_TIMEOUT_SECONDS = 0.5  # also bounds how long stop() waits for a worker
RETRY_SECONDS = 2.0
PAST_DUE_AFTER = timedelta(seconds=1)


def _event(received: ReceivedEvent) -> func.EventHubEvent:
    return func.EventHubEvent(
        body=received.body,
        partition_key=received.partition_key,
        enqueued_time=received.enqueued_time,
        sequence_number=received.sequence_number,
        offset=received.offset,
    )


class EventHubWorker:
    """receive -> invoke -> ack. Events are acked even when the function raised: the Functions host
    checkpoints past failures too, so a poison event cannot stall the hub."""

    def __init__(
        self, spec: FunctionSpec, source: EventSource, invoke: Invoke, stop: threading.Event, batch_size: int
    ):
        self._spec, self._source, self._invoke, self._stop = spec, source, invoke, stop
        self._many = str(spec.trigger.get("cardinality") or "one").lower() == "many"
        self._batch_size = batch_size

    def run(self) -> None:
        try:
            while not self._stop.is_set():
                try:
                    received = self._source.receive(
                        max_events=self._batch_size, timeout=RECEIVE_TIMEOUT_SECONDS
                    )
                except Exception:
                    log.exception("function %s: receiving events failed; retrying", self._spec.name)
                    self._stop.wait(RETRY_SECONDS)
                    continue
                events = list(received)
                for batch in ([events] if events else []) if self._many else [[event] for event in events]:
                    if self._stop.is_set():
                        break  # the rest stays unacked, so it is delivered again
                    self._dispatch(batch)
        finally:
            self._source.close()

    def _dispatch(self, batch: list[ReceivedEvent]) -> None:
        argument = [_event(event) for event in batch] if self._many else _event(batch[0])
        try:
            self._invoke(self._spec, argument)
        except Exception:
            log.exception(
                "function %s failed on %d event(s); checkpointing past them", self._spec.name, len(batch)
            )
        try:
            self._source.ack(batch)
        except Exception:
            log.exception("function %s: acknowledging events failed", self._spec.name)


class Schedule:
    """NCRONTAB, UTC: six fields with seconds first, or the five classic ones."""

    def __init__(self, expression: str) -> None:
        self.expression = expression
        self._seconds_first = len(expression.split()) == 6
        if not croniter.is_valid(expression, second_at_beginning=self._seconds_first):
            raise DevHostError(f"schedule {expression!r}: not a valid NCRONTAB expression")

    def _iter(self, start: datetime) -> croniter:
        return croniter(self.expression, start, second_at_beginning=self._seconds_first)

    def next_after(self, moment: datetime) -> datetime:
        return self._iter(moment).get_next(datetime)

    def last_before(self, moment: datetime) -> datetime:
        return self._iter(moment).get_prev(datetime)


def _now() -> datetime:
    return datetime.now(UTC)


class TimerWorker:
    """Runs on schedule; a failing run is logged and the schedule continues. Occurrences missed
    while a run overran collapse into one run with `past_due=True`, like the Functions host."""

    def __init__(self, spec: FunctionSpec, schedule: Schedule, invoke: Invoke, stop: threading.Event):
        self._spec, self._schedule, self._invoke, self._stop = spec, schedule, invoke, stop

    def run(self) -> None:
        if self._spec.trigger.get("runOnStartup"):
            self._fire(past_due=False)
        due, collapsed = self._schedule.next_after(_now()), False
        while not self._stop.wait(max(0.0, (due - _now()).total_seconds())):
            self._fire(past_due=collapsed or _now() - due > PAST_DUE_AFTER)
            following = self._schedule.next_after(due)
            collapsed = following <= _now()
            due = self._schedule.last_before(_now()) if collapsed else following

    def _fire(self, past_due: bool) -> None:
        try:
            self._invoke(self._spec, TimerRequest(past_due=past_due))
        except Exception:
            log.exception("function %s failed; the schedule continues", self._spec.name)
