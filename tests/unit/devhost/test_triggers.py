"""Event Hub and timer triggers run by the devhost's worker threads."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

import azure.functions as func
import pytest

from shared.adapters.events import OutgoingEvent, publisher_from_settings
from shared.adapters.events.local import LocalPublisher, local_bus
from shared.config import Settings
from shared.devhost import DevHost
from shared.devhost.bindings import HostOptions
from shared.devhost.triggers import Schedule


def _wait_until(condition: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


def test_schedule_is_ncrontab_with_seconds_first_in_utc():
    moment = datetime(2024, 1, 1, 9, 29, 58, 500000, tzinfo=UTC)
    weekdays = Schedule("0 30 9 * * 1-5")
    assert weekdays.next_after(moment) == datetime(2024, 1, 1, 9, 30, tzinfo=UTC)
    assert weekdays.last_before(moment) == datetime(2023, 12, 29, 9, 30, tzinfo=UTC)  # a Friday
    assert Schedule("*/15 * * * * *").next_after(moment) == datetime(2024, 1, 1, 9, 30, tzinfo=UTC)
    assert Schedule("*/5 * * * *").next_after(moment) == datetime(2024, 1, 1, 9, 30, tzinfo=UTC)


@pytest.fixture
def hub(monkeypatch) -> str:
    """A hub name of this test only: local buses are process-wide, one per name."""
    name = f"training-{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("TRAINING_EVENT_HUB", name)
    return name


def _publish(hub: str, count: int) -> list[OutgoingEvent]:
    events = [OutgoingEvent(f"event-{n}".encode(), f"tenant-{n % 2}") for n in range(count)]
    LocalPublisher(local_bus(hub)).publish(events)
    return events


def _left_on_bus(hub: str) -> list[bytes]:
    """Unacked events go back on the bus when the devhost closes its source."""
    return [event.body for event in local_bus(hub).take(100, timeout=0)]


def test_event_hub_trigger_gets_each_event_and_acks_even_after_a_failure(hub, caplog):
    app = func.FunctionApp()
    seen: list[func.EventHubEvent] = []

    @app.event_hub_message_trigger(
        arg_name="event", event_hub_name="%TRAINING_EVENT_HUB%", connection="EventHubConnection"
    )
    def on_training(event: func.EventHubEvent) -> None:
        seen.append(event)
        if event.get_body() == b"event-1":
            raise ValueError("bad event")

    caplog.set_level(logging.ERROR, logger="shared.devhost")
    started = datetime.now(UTC)
    published = [OutgoingEvent(f"event-{n}".encode(), f"tenant-{n}") for n in range(3)]
    with DevHost(app, port=0, settings=Settings(), options=HostOptions()):
        publisher_from_settings(Settings()).publish(published)  # the relay's publisher, to TRAINING_EVENT_HUB
        assert _wait_until(lambda: len(seen) == 3)
    assert [(event.get_body(), event.partition_key) for event in seen] == [
        (event.body, event.partition_key) for event in published
    ]
    assert all(isinstance(event.sequence_number, int) and event.offset for event in seen)
    assert all(started <= event.enqueued_time <= datetime.now(UTC) for event in seen)
    assert _left_on_bus(hub) == []  # all acked, the failed one too
    assert any("on_training failed" in record.getMessage() for record in caplog.records)


def test_event_hub_trigger_with_cardinality_many_gets_batches(hub):
    app = func.FunctionApp()
    batches: list[list[bytes]] = []

    @app.event_hub_message_trigger(
        arg_name="events",
        event_hub_name=hub,
        connection="EventHubConnection",
        cardinality="many",
        consumer_group="devhost",
    )
    async def on_batch(events: list[func.EventHubEvent]) -> None:
        batches.append([event.get_body() for event in events])

    _publish(hub, 5)  # waiting before start: batches of the configured size
    with DevHost(app, port=0, settings=Settings(), options=HostOptions(max_event_batch_size=2)):
        assert _wait_until(lambda: sum(map(len, batches)) == 5)
    assert batches == [[b"event-0", b"event-1"], [b"event-2", b"event-3"], [b"event-4"]]
    assert _left_on_bus(hub) == []


def test_events_not_yet_handled_at_stop_stay_on_the_bus(hub):
    app = func.FunctionApp()
    handled: list[bytes] = []

    @app.event_hub_message_trigger(arg_name="event", event_hub_name=hub, connection="EventHubConnection")
    def slow_consumer(event: func.EventHubEvent) -> None:
        handled.append(event.get_body())
        time.sleep(0.3)

    _publish(hub, 4)
    with DevHost(app, port=0, settings=Settings(), options=HostOptions()):
        assert _wait_until(lambda: len(handled) == 1)
    assert handled == [b"event-0"]
    assert _left_on_bus(hub) == [b"event-1", b"event-2", b"event-3"]  # delivered again next time


def test_backend_without_a_local_consumer_runs_no_worker(hub, monkeypatch, caplog):
    monkeypatch.setenv("EVENTS_BACKEND", "eventhub")
    monkeypatch.setenv(
        "EventHubConnection", "Endpoint=sb://devhost.invalid/;SharedAccessKeyName=a;SharedAccessKey=b"
    )
    app = func.FunctionApp()

    @app.event_hub_message_trigger(arg_name="event", event_hub_name=hub, connection="EventHubConnection")
    def on_event(event: func.EventHubEvent) -> None:
        return None

    caplog.set_level(logging.WARNING, logger="shared.devhost")
    with DevHost(app, port=0, settings=Settings(), options=HostOptions()):
        assert not any(thread.name == "devhost-on_event" for thread in threading.enumerate())
    assert any(
        "on_event" in record.getMessage() and "EVENTS_BACKEND=eventhub" in record.getMessage()
        for record in caplog.records
    )


def test_timers_run_on_startup_and_keep_their_schedule_after_failures():
    app = func.FunctionApp()
    startup_calls: list[tuple[float, bool]] = []
    flaky_calls: list[float] = []

    @app.timer_trigger(schedule="0 0 0 1 1 *", arg_name="timer", run_on_startup=True)  # once a year
    def on_startup(timer: func.TimerRequest) -> None:
        startup_calls.append((time.monotonic(), timer.past_due))

    @app.timer_trigger(schedule="* * * * * *", arg_name="timer")  # every second
    def flaky(timer: func.TimerRequest) -> None:
        flaky_calls.append(time.monotonic())
        raise RuntimeError("fails every time")

    started = time.monotonic()
    with DevHost(app, port=0, settings=Settings(), options=HostOptions()):
        assert _wait_until(lambda: len(flaky_calls) >= 2, timeout=4)
    assert len(startup_calls) == 1
    assert startup_calls[0][0] - started < 1.0 and startup_calls[0][1] is False
    assert 0.5 < flaky_calls[1] - flaky_calls[0] < 1.8


def test_runs_missed_while_a_run_overran_become_one_past_due_run():
    app = func.FunctionApp()
    calls: list[bool] = []

    @app.timer_trigger(schedule="* * * * * *", arg_name="timer")
    def overrunning(timer: func.TimerRequest) -> None:
        calls.append(timer.past_due)
        if len(calls) == 1:
            time.sleep(1.3)  # overruns into the next occurrence

    with DevHost(app, port=0, settings=Settings(), options=HostOptions()):
        assert _wait_until(lambda: len(calls) >= 3, timeout=6)
        time.sleep(0.2)
    assert calls[:3] == [False, True, False]
