"""Events port: the in-process bus, backend selection, and failure without leaking secrets."""

from __future__ import annotations

import socket
import threading
import time
import uuid
from datetime import UTC, datetime

import pytest

from shared.adapters.events import (
    OutgoingEvent,
    PublishError,
    event_source_from_settings,
    publisher_from_settings,
)
from shared.adapters.events.eventhub import EventHubPublisher
from shared.adapters.events.kafka import KafkaEventSource, KafkaPublisher, client_config
from shared.adapters.events.local import LocalEventSource, LocalPublisher
from shared.config import Settings

SAS_KEY = "c2VjcmV0LWtleS10aGF0LW11c3Qtbm90LWxlYWs="


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def local_settings() -> Settings:
    return Settings(EVENTS_BACKEND="local", TRAINING_EVENT_HUB=f"hub-{uuid.uuid4().hex}")


def test_local_publish_receive_ack() -> None:
    settings = local_settings()
    publisher = publisher_from_settings(settings)
    source = event_source_from_settings(settings, settings.training_event_hub, "$Default")
    assert isinstance(publisher, LocalPublisher) and isinstance(source, LocalEventSource)

    before = datetime.now(UTC)
    publisher.publish(
        [OutgoingEvent(b'{"job_id":"1"}', "tenant-a"), OutgoingEvent(b'{"job_id":"2"}', "tenant-b")]
    )
    received = source.receive(max_events=10, timeout=1)

    assert [(event.body, event.partition_key) for event in received] == [
        (b'{"job_id":"1"}', "tenant-a"),
        (b'{"job_id":"2"}', "tenant-b"),
    ]
    assert (
        received[0].sequence_number is not None
        and received[1].sequence_number == received[0].sequence_number + 1
    )
    assert received[0].enqueued_time is not None and before <= received[0].enqueued_time <= datetime.now(UTC)

    source.ack(received)
    source.close()
    again = event_source_from_settings(settings, settings.training_event_hub, "$Default")
    assert again is not None and again.receive(max_events=10, timeout=0.05) == []


def test_local_unacked_events_come_back_in_order_after_close() -> None:
    settings = local_settings()
    publisher = publisher_from_settings(settings)
    publisher.publish([OutgoingEvent(f"e{i}".encode(), "t") for i in range(4)])
    first = event_source_from_settings(settings, settings.training_event_hub, "$Default")
    assert first is not None

    taken = first.receive(max_events=3, timeout=1)
    assert [event.body for event in taken] == [b"e0", b"e1", b"e2"]
    first.ack([taken[1]])
    first.close()  # as if the handler crashed on e0 and e2

    second = event_source_from_settings(settings, settings.training_event_hub, "$Default")
    assert second is not None
    assert [event.body for event in second.receive(max_events=10, timeout=1)] == [b"e0", b"e2", b"e3"]


def test_local_receive_waits_for_a_publish_and_times_out_when_idle() -> None:
    settings = local_settings()
    source = event_source_from_settings(settings, settings.training_event_hub, "$Default")
    assert source is not None
    started = time.monotonic()
    assert source.receive(max_events=1, timeout=0.2) == []
    assert 0.15 <= time.monotonic() - started < 2

    timer = threading.Timer(0.1, publisher_from_settings(settings).publish, [[OutgoingEvent(b"late", "t")]])
    timer.start()
    started = time.monotonic()
    received = source.receive(max_events=1, timeout=5)
    timer.join()
    assert [event.body for event in received] == [b"late"]
    assert time.monotonic() - started < 2


def test_buses_are_separate_per_hub_name() -> None:
    one, other = local_settings(), local_settings()
    publisher_from_settings(one).publish([OutgoingEvent(b"only-one", "t")])
    source = event_source_from_settings(other, other.training_event_hub, "$Default")
    assert source is not None and source.receive(max_events=1, timeout=0.05) == []


def test_backend_selection() -> None:
    kafka = Settings(EVENTS_BACKEND="kafka", KAFKA_BOOTSTRAP_SERVERS=f"127.0.0.1:{closed_port()}")
    publisher = publisher_from_settings(kafka)
    source = event_source_from_settings(kafka, kafka.training_event_hub, "creditgate-devhost")
    assert isinstance(publisher, KafkaPublisher) and isinstance(source, KafkaEventSource)
    source.close()

    hub = Settings(EVENTS_BACKEND="eventhub", EventHubConnection="creditgate-ns.servicebus.windows.net")
    assert isinstance(publisher_from_settings(hub), EventHubPublisher)
    assert (
        event_source_from_settings(hub, hub.training_event_hub, "$Default") is None
    )  # the Functions host consumes


def test_kafka_sasl_settings_for_the_event_hubs_endpoint() -> None:
    connection = (
        f"Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=send;SharedAccessKey={SAS_KEY}"
    )
    settings = Settings(
        EVENTS_BACKEND="kafka",
        KAFKA_BOOTSTRAP_SERVERS="ns.servicebus.windows.net:9093",
        KAFKA_SECURITY_PROTOCOL="SASL_SSL",
        KAFKA_SASL_USERNAME="$ConnectionString",
        KAFKA_SASL_PASSWORD=connection,
    )
    config = client_config(settings)
    assert config["security.protocol"] == "SASL_SSL"
    assert (config["sasl.mechanism"], config["sasl.username"], config["sasl.password"]) == (
        "PLAIN",
        "$ConnectionString",
        connection,
    )
    assert "sasl.username" not in client_config(
        Settings(EVENTS_BACKEND="kafka", KAFKA_BOOTSTRAP_SERVERS="b:9092")
    )


def test_kafka_publish_to_a_dead_broker_fails_in_bounded_time() -> None:
    config = {"bootstrap.servers": f"127.0.0.1:{closed_port()}", "sasl.password": SAS_KEY}
    publisher = KafkaPublisher(
        {**config, "security.protocol": "SASL_PLAINTEXT", "sasl.mechanism": "PLAIN", "sasl.username": "u"},
        "training-requests",
        timeout=1.0,
    )
    started = time.monotonic()
    with pytest.raises(PublishError) as caught:
        publisher.publish([OutgoingEvent(b"{}", "tenant-a")])
    assert time.monotonic() - started < 4
    assert SAS_KEY not in str(caught.value)
    publisher.close()


def test_eventhub_publish_to_an_unreachable_namespace_fails_in_bounded_time() -> None:
    # The emulator form of the connection string: plain AMQP to a local port where nothing listens.
    connection = (
        f"Endpoint=sb://127.0.0.1:{closed_port()};SharedAccessKeyName=RootManageSharedAccessKey;"
        f"SharedAccessKey={SAS_KEY};UseDevelopmentEmulator=true"
    )
    publisher = EventHubPublisher(connection, "training-requests", timeout=2.0)
    started = time.monotonic()
    with pytest.raises(PublishError) as caught:
        publisher.publish([OutgoingEvent(b"{}", "tenant-a"), OutgoingEvent(b"{}", "tenant-b")])
    assert time.monotonic() - started < 8
    assert SAS_KEY not in str(caught.value)
    publisher.close()


def test_publishing_nothing_is_a_no_op() -> None:
    publisher = KafkaPublisher({"bootstrap.servers": f"127.0.0.1:{closed_port()}"}, "t", timeout=1.0)
    started = time.monotonic()
    publisher.publish([])
    assert time.monotonic() - started < 0.5
    publisher.close()
