"""Event Hubs backend (AMQP via azure-eventhub). Only publishes: in Azure the Functions host consumes."""

from __future__ import annotations

import time
from collections.abc import Sequence

from shared.adapters.events.port import OutgoingEvent, PublishError, redact

PUBLISH_TIMEOUT_SECONDS = 5.0


def is_connection_string(connection: str) -> bool:
    """EventHubConnection holds a connection string, or (managed identity) just the namespace host."""
    return "endpoint=" in connection.lower()


class EventHubPublisher:
    def __init__(self, connection: str, hub: str, *, timeout: float = PUBLISH_TIMEOUT_SECONDS) -> None:
        from azure.eventhub import EventHubProducerClient

        self._hub = hub
        self._timeout = timeout
        self._secret = connection if is_connection_string(connection) else None
        # One quick retry: the relay retries later from the outbox, a request must not wait on backoff.
        options = {
            "eventhub_name": hub,
            "retry_total": 1,
            "retry_backoff_factor": 0.2,
            "retry_backoff_max": 1.0,
        }
        if self._secret:
            self._client = EventHubProducerClient.from_connection_string(connection, **options)
        else:
            from azure.identity import DefaultAzureCredential

            namespace = connection.removeprefix("sb://").strip("/")
            self._client = EventHubProducerClient(namespace, credential=DefaultAzureCredential(), **options)

    def publish(self, events: Sequence[OutgoingEvent]) -> None:
        from azure.eventhub import EventData
        from azure.eventhub.exceptions import EventHubError

        by_key: dict[str, list[EventData]] = {}
        for event in events:
            by_key.setdefault(event.partition_key, []).append(EventData(event.body))
        deadline = time.monotonic() + self._timeout
        try:
            for key, batch in by_key.items():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise PublishError(f"eventhub: publish to {self._hub!r} timed out after {self._timeout}s")
                # A list is sent as one batch, all on the partition chosen for the key (the tenant).
                self._client.send_batch(batch, partition_key=key, timeout=remaining)
        except (EventHubError, ValueError) as exc:
            # ValueError: the batch is larger than the hub's message size limit.
            detail = redact(" ".join(f"{type(exc).__name__}: {exc}".split()), self._secret)
            raise PublishError(f"eventhub: publish to {self._hub!r} failed: {detail}") from None

    def close(self) -> None:
        self._client.close()
