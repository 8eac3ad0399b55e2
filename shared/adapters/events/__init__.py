"""Events port and the factories that pick a backend from settings (EVENTS_BACKEND)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from shared.adapters.events.port import (
    EventPublisher,
    EventSource,
    EventSourceError,
    OutgoingEvent,
    PublishError,
    ReceivedEvent,
)

if TYPE_CHECKING:
    from shared.config import Settings

__all__ = [
    "EventPublisher",
    "EventSource",
    "EventSourceError",
    "OutgoingEvent",
    "PublishError",
    "ReceivedEvent",
    "event_source_from_settings",
    "publisher_from_settings",
]


def publisher_from_settings(settings: Settings) -> EventPublisher:
    """A publisher to settings.training_event_hub; backend libraries load only when chosen."""
    topic = settings.training_event_hub
    if settings.events_backend == "kafka":
        from shared.adapters.events.kafka import KafkaPublisher, client_config

        return KafkaPublisher(client_config(settings), topic)
    if settings.events_backend == "eventhub":
        from shared.adapters.events.eventhub import EventHubPublisher

        # config.Settings guarantees the connection is set for eventhub.
        return EventHubPublisher(settings.event_hub_connection or "", topic)
    from shared.adapters.events.local import LocalPublisher, local_bus

    return LocalPublisher(local_bus(topic))


def event_source_from_settings(settings: Settings, hub_name: str, consumer_group: str) -> EventSource | None:
    """What the devhost polls to drive the Event Hub trigger; None for `eventhub`, where the Functions
    host owns the trigger (and checkpoints) itself."""
    if settings.events_backend == "kafka":
        from shared.adapters.events.kafka import KafkaEventSource, client_config

        return KafkaEventSource(client_config(settings), hub_name, consumer_group)
    if settings.events_backend == "eventhub":
        return None
    from shared.adapters.events.local import LocalEventSource, local_bus

    return LocalEventSource(local_bus(hub_name))
