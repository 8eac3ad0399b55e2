"""Kafka backend against a real broker (Tansu): consumer groups, commits on ack, outages."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import pytest

from shared.adapters.events import (
    EventSource,
    OutgoingEvent,
    PublishError,
    ReceivedEvent,
    event_source_from_settings,
    publisher_from_settings,
)
from shared.adapters.events.kafka import KafkaPublisher, ensure_topic
from shared.config import Settings
from tests.services import KafkaBroker

# A consumer joining a group waits a few seconds for the group to settle.
RECEIVE_DEADLINE_SECONDS = 20.0


@pytest.fixture
def settings(kafka_broker: KafkaBroker) -> Settings:
    topic = f"training-requests-{uuid.uuid4().hex[:8]}"
    kafka_broker.create_topic(topic, partitions=2)
    return Settings(
        EVENTS_BACKEND="kafka", KAFKA_BOOTSTRAP_SERVERS=kafka_broker.bootstrap, TRAINING_EVENT_HUB=topic
    )


@pytest.fixture
def open_source(settings: Settings) -> Iterator:
    """Opens consumers of the test topic in one group, and closes any the test left open."""
    group = f"devhost-{uuid.uuid4().hex[:8]}"
    sources: list[EventSource] = []

    def open_one() -> EventSource:
        source = event_source_from_settings(settings, settings.training_event_hub, group)
        assert source is not None
        sources.append(source)
        return source

    yield open_one
    for source in sources:
        source.close()


def receive_exactly(source: EventSource, count: int) -> list[ReceivedEvent]:
    received: list[ReceivedEvent] = []
    deadline = time.monotonic() + RECEIVE_DEADLINE_SECONDS
    while len(received) < count and time.monotonic() < deadline:
        received += source.receive(max_events=count - len(received), timeout=0.5)
    assert len(received) == count, (
        f"received {len(received)} of {count} events in {RECEIVE_DEADLINE_SECONDS}s"
    )
    return received


def job_event(job: str, tenant: str) -> OutgoingEvent:
    return OutgoingEvent(f'{{"type":"training.requested","job_id":"{job}"}}'.encode(), tenant)


def test_ensure_topic_is_idempotent(kafka_broker: KafkaBroker) -> None:
    topic = f"created-{uuid.uuid4().hex[:8]}"
    assert ensure_topic({"bootstrap.servers": kafka_broker.bootstrap}, topic, num_partitions=3) is True
    assert ensure_topic({"bootstrap.servers": kafka_broker.bootstrap}, topic, num_partitions=3) is False


def test_publish_receive_ack_then_the_group_moves_on(settings: Settings, open_source) -> None:
    publisher = publisher_from_settings(settings)
    publisher.publish([job_event("j1", "tenant-a"), job_event("j2", "tenant-b"), job_event("j3", "tenant-a")])

    source = open_source()
    received = receive_exactly(source, 3)
    assert sorted(event.body for event in received) == sorted(
        job_event(j, "-").body for j in ("j1", "j2", "j3")
    )
    by_tenant = {event.partition_key: event.partition for event in received}
    assert set(by_tenant) == {"tenant-a", "tenant-b"}
    assert [e.partition for e in received if e.partition_key == "tenant-a"] == [by_tenant["tenant-a"]] * 2
    tenant_a = [event.body for event in received if event.partition_key == "tenant-a"]
    assert tenant_a == [
        job_event("j1", "-").body,
        job_event("j3", "-").body,
    ]  # a tenant's events stay in order
    assert all(
        event.enqueued_time is not None and event.offset == str(event.sequence_number) for event in received
    )

    source.ack(received)
    source.close()
    publisher.publish([job_event("j4", "tenant-b")])
    publisher.close()

    # The marker proves the new member has joined and read from the committed offsets.
    successor = open_source()
    assert [event.body for event in receive_exactly(successor, 1)] == [job_event("j4", "-").body]
    assert successor.receive(max_events=10, timeout=1.0) == []


def test_unacked_events_are_redelivered_to_the_next_member(settings: Settings, open_source) -> None:
    publisher = publisher_from_settings(settings)
    publisher.publish([job_event("handled", "tenant-a"), job_event("crashed", "tenant-a")])
    publisher.close()

    first = open_source()
    handled, crashed = receive_exactly(first, 2)
    first.ack([handled])
    first.close()  # the handler of the second event never finished

    redelivered = receive_exactly(open_source(), 1)
    assert [(event.body, event.sequence_number) for event in redelivered] == [
        (crashed.body, crashed.sequence_number)
    ]


def test_publish_fails_fast_while_the_broker_is_down_and_recovers(
    kafka_broker: KafkaBroker, settings: Settings, open_source
) -> None:
    publisher = KafkaPublisher(
        {"bootstrap.servers": kafka_broker.bootstrap}, settings.training_event_hub, timeout=2.0
    )
    publisher.publish([job_event("before", "tenant-a")])

    with kafka_broker.outage():
        started = time.monotonic()
        with pytest.raises(PublishError, match="not acknowledged within 2.0s"):
            publisher.publish([job_event("during", "tenant-a")])
        elapsed = time.monotonic() - started
        assert 1.0 < elapsed < 5.0, elapsed

    publisher.publish([job_event("after", "tenant-a")])  # the same long-lived producer reconnects
    publisher.close()
    # The in-memory broker restarted empty, so only "after" exists; "during" was dropped, not sent late.
    source = open_source()
    assert [event.body for event in receive_exactly(source, 1)] == [job_event("after", "-").body]
    assert source.receive(max_events=10, timeout=1.0) == []
