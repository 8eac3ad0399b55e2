"""Kafka backend (confluent-kafka): any Kafka-protocol broker, including the Event Hubs Kafka endpoint.

For Event Hubs over Kafka: KAFKA_BOOTSTRAP_SERVERS=<ns>.servicebus.windows.net:9093,
KAFKA_SECURITY_PROTOCOL=SASL_SSL, KAFKA_SASL_MECHANISM=PLAIN, KAFKA_SASL_USERNAME=$ConnectionString,
KAFKA_SASL_PASSWORD=<the namespace connection string>.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from confluent_kafka import (
    TIMESTAMP_NOT_AVAILABLE,
    Consumer,
    KafkaError,
    KafkaException,
    Message,
    Producer,
    TopicPartition,
)
from confluent_kafka.admin import AdminClient, NewTopic

from shared.adapters.events.port import EventSourceError, OutgoingEvent, PublishError, ReceivedEvent, redact

if TYPE_CHECKING:
    from shared.config import Settings

log = logging.getLogger(__name__)

DEFAULT_PARTITIONS = 4
PUBLISH_TIMEOUT_SECONDS = 5.0
# Kafka's smallest default group.min.session.timeout.ms (Event Hubs accepts it too); a lower value
# also shortens how long a joining consumer waits for others, which is what the devhost feels.
CONSUMER_DEFAULTS: Mapping[str, Any] = {
    "enable.auto.commit": False,
    "auto.offset.reset": "earliest",
    "session.timeout.ms": 6000,
    "heartbeat.interval.ms": 2000,
}
# librdkafka keeps retrying a down broker; retry soon after it is back instead of backing off to 10 s.
_RECONNECT = {"reconnect.backoff.ms": 100, "reconnect.backoff.max.ms": 1000}


class _LibrdkafkaLog(logging.LoggerAdapter):
    """librdkafka logs every failed reconnect at ERROR; callers learn of outages through PublishError."""

    def log(self, level: int, msg: object, *args: Any, **kwargs: Any) -> None:
        if args and args[0] == "FAIL":
            level = logging.DEBUG
        super().log(level, msg, *args, **kwargs)


def client_config(settings: Settings) -> dict[str, Any]:
    """Connection settings shared by producer, consumer and admin client."""
    config: dict[str, Any] = {
        "bootstrap.servers": settings.kafka_bootstrap_servers,
        "security.protocol": settings.kafka_security_protocol,
        "client.id": "creditgate",
    }
    if settings.kafka_security_protocol.startswith("SASL"):
        config["sasl.mechanism"] = settings.kafka_sasl_mechanism
        config["sasl.username"] = settings.kafka_sasl_username
        config["sasl.password"] = (
            settings.kafka_sasl_password.get_secret_value() if settings.kafka_sasl_password else None
        )
    return config


def _with_logger(config: Mapping[str, Any]) -> dict[str, Any]:
    return {**config, **_RECONNECT, "logger": _LibrdkafkaLog(logging.getLogger(f"{__name__}.librdkafka"), {})}


def _describe(error: KafkaError | BaseException, config: Mapping[str, Any]) -> str:
    text = error.str() if isinstance(error, KafkaError) else str(error)
    return redact(text, config.get("sasl.password"))


def ensure_topic(
    config: Mapping[str, Any], topic: str, *, num_partitions: int = DEFAULT_PARTITIONS, timeout: float = 10.0
) -> bool:
    """Create the topic unless it exists; True if it was created.

    Worth calling before the first publish: brokers that auto-create topics make them with 1 partition."""
    admin = AdminClient(_with_logger(config))
    future = admin.create_topics(
        [NewTopic(topic, num_partitions=num_partitions, replication_factor=-1)], request_timeout=timeout
    )[topic]
    try:
        future.result(timeout)
    except KafkaException as exc:
        if exc.args[0].code() == KafkaError.TOPIC_ALREADY_EXISTS:
            return False
        raise PublishError(
            f"kafka: cannot create topic {topic!r}: {_describe(exc.args[0], config)}"
        ) from None
    except TimeoutError:
        raise PublishError(f"kafka: creating topic {topic!r} timed out after {timeout}s") from None
    return True


class KafkaPublisher:
    def __init__(
        self, config: Mapping[str, Any], topic: str, *, timeout: float = PUBLISH_TIMEOUT_SECONDS
    ) -> None:
        self._config = config
        self._topic = topic
        self._timeout = timeout
        # librdkafka gives up on a message after message.timeout.ms, so a down broker fails the call in time.
        self._producer = Producer({**_with_logger(config), "message.timeout.ms": int(timeout * 1000)})
        # purge() below drops every queued message, so calls must not interleave.
        self._lock = threading.Lock()

    def publish(self, events: Sequence[OutgoingEvent]) -> None:
        if not events:
            return
        failures: list[KafkaError] = []

        def delivered(error: KafkaError | None, _message: Message) -> None:
            if error is not None:
                failures.append(error)

        with self._lock:
            try:
                for event in events:
                    self._producer.produce(
                        self._topic, value=event.body, key=event.partition_key.encode(), on_delivery=delivered
                    )
                pending = self._producer.flush(self._timeout + 1.0)
            except (BufferError, KafkaException) as exc:
                self._drop_queued()
                raise PublishError(
                    f"kafka: publish to {self._topic!r} failed: {_describe(exc, self._config)}"
                ) from None
            if pending:
                self._drop_queued()
        if pending or any(error.code() == KafkaError._MSG_TIMED_OUT for error in failures):
            raise PublishError(
                f"kafka: {pending or len(failures)} of {len(events)} event(s) to {self._topic!r} "
                f"not acknowledged within {self._timeout}s (broker unreachable?)"
            )
        if failures:
            raise PublishError(
                f"kafka: {len(failures)} of {len(events)} event(s) to {self._topic!r} not delivered: "
                f"{_describe(failures[0], self._config)}"
            )

    def _drop_queued(self) -> None:
        """The caller will retry from the outbox; a late duplicate of this batch would only add noise."""
        self._producer.purge()
        self._producer.flush(0)

    def close(self) -> None:
        self._producer.flush(self._timeout)


class KafkaEventSource:
    """A member of a consumer group that commits offsets only when the handled events are acked."""

    def __init__(self, config: Mapping[str, Any], topic: str, group_id: str) -> None:
        self._config = config
        self._topic = topic
        self._consumer = Consumer(
            {
                **_with_logger(config),
                **CONSUMER_DEFAULTS,
                "group.id": group_id,
                "on_commit": self._committed,
            }
        )
        self._consumer.subscribe([topic])

    def receive(self, max_events: int, timeout: float) -> list[ReceivedEvent]:
        events = []
        for message in self._consumer.consume(num_messages=max_events, timeout=timeout):
            error = message.error()
            if error is None:
                events.append(_received(message))
            elif error.fatal():
                raise EventSourceError(
                    f"kafka consumer of {self._topic!r} failed: {_describe(error, self._config)}"
                )
            else:  # transient (broker restarting, topic not created yet): librdkafka retries by itself
                log.warning("kafka consumer of %r: %s", self._topic, _describe(error, self._config))
        return events

    def ack(self, events: Sequence[ReceivedEvent]) -> None:
        """Commit past the acked events. Asynchronous: a synchronous commit blocks while the broker is down;
        a commit that fails only means those events are delivered again (handlers are idempotent)."""
        next_offsets: dict[int, int] = {}
        for event in events:
            if event.partition is None or event.sequence_number is None:
                raise ValueError("kafka: can only ack events received from a KafkaEventSource")
            partition = int(event.partition)
            next_offsets[partition] = max(next_offsets.get(partition, 0), event.sequence_number + 1)
        if next_offsets:
            self._consumer.commit(
                offsets=[TopicPartition(self._topic, p, offset) for p, offset in next_offsets.items()],
                asynchronous=True,
            )

    def _committed(self, error: KafkaError | None, _partitions: list[TopicPartition]) -> None:
        if error is not None:
            log.warning(
                "kafka: offset commit on %r failed (events will be redelivered): %s", self._topic, error.str()
            )

    def close(self) -> None:
        """Leaves the group (after in-flight commits), so the partitions move to another member at once."""
        self._consumer.close()


def _received(message: Message) -> ReceivedEvent:
    kind, millis = message.timestamp()
    key = message.key()
    return ReceivedEvent(
        body=message.value() or b"",
        partition_key=key.decode("utf-8", "replace") if key is not None else None,
        enqueued_time=None if kind == TIMESTAMP_NOT_AVAILABLE else datetime.fromtimestamp(millis / 1000, UTC),
        sequence_number=message.offset(),
        offset=str(message.offset()),
        partition=str(message.partition()),
    )
