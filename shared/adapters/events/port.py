"""The events port (DESIGN §5): what the relay publishes and what the local host consumes.

Delivery is at least once on every backend, so consumers must be idempotent (training claims its
job with a conditional update). Backends live in sibling modules and are imported lazily.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


class PublishError(RuntimeError):
    """The broker did not take the events in time; the outbox keeps them for the next relay run."""


class EventSourceError(RuntimeError):
    """The consumer hit an error it cannot retry (bad credentials, fatal client state)."""


@dataclass(frozen=True)
class OutgoingEvent:
    body: bytes
    partition_key: str


@dataclass(frozen=True)
class ReceivedEvent:
    """Mirrors what `azure.functions.EventHubEvent` carries, so the devhost can build one from it.

    `partition` is needed to acknowledge: Kafka offsets and Event Hubs sequence numbers are per partition.
    """

    body: bytes
    partition_key: str | None
    enqueued_time: datetime | None
    sequence_number: int | None
    offset: str | None
    partition: str | None = None


class EventPublisher(Protocol):
    def publish(self, events: Sequence[OutgoingEvent]) -> None: ...

    def close(self) -> None: ...


class EventSource(Protocol):
    def receive(self, max_events: int, timeout: float) -> list[ReceivedEvent]: ...

    def ack(self, events: Sequence[ReceivedEvent]) -> None: ...

    def close(self) -> None: ...


def redact(text: str, *secrets: str | None) -> str:
    """Library messages sometimes echo what they were given; secrets must not reach logs or callers."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text
