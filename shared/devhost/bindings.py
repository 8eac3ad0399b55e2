"""What the Functions host would read besides the code: host.json options and `%APP_SETTING%`
binding expressions (trigger names, consumer groups, schedules)."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import AliasChoices
from pydantic_core import PydanticUndefined

from shared.config import LOCAL_SETTINGS_FILE, ConfigError, Settings

HOST_FILE = "host.json"
_EXPRESSION = re.compile(r"%([^%]+)%")


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{path.name}: not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path.name}: expected a JSON object")
    return data


@dataclass(frozen=True)
class HostOptions:
    route_prefix: str = "api"
    max_event_batch_size: int = 100

    @classmethod
    def load(cls, directory: Path | None = None) -> HostOptions:
        """host.json of the app directory (the working directory, as for `func start`)."""
        path = (directory or Path.cwd()) / HOST_FILE
        if not path.is_file():
            return cls()
        extensions = _read_json(path).get("extensions") or {}
        prefix = (extensions.get("http") or {}).get("routePrefix", cls.route_prefix)
        batch = (extensions.get("eventHubs") or {}).get("maxEventBatchSize", cls.max_event_batch_size)
        if not isinstance(prefix, str):
            raise ConfigError(f"{HOST_FILE}: extensions.http.routePrefix must be a string")
        if not isinstance(batch, int) or isinstance(batch, bool) or batch < 1:
            raise ConfigError(
                f"{HOST_FILE}: extensions.eventHubs.maxEventBatchSize must be a positive integer"
            )
        return cls(route_prefix=prefix.strip("/"), max_event_batch_size=batch)


def _local_settings_values() -> dict[str, Any]:
    path = Path.cwd() / LOCAL_SETTINGS_FILE
    return (_read_json(path).get("Values") or {}) if path.is_file() else {}


def _settings_default(name: str) -> str | None:
    """Default of the Settings field read from app setting `name`, so `%TRAINING_EVENT_HUB%` means
    the same hub to the trigger as to the code that publishes to it."""
    for field in Settings.model_fields.values():
        alias = field.validation_alias
        names = alias.choices if isinstance(alias, AliasChoices) else [alias]
        if any(isinstance(choice, str) and choice.lower() == name.lower() for choice in names):
            return None if field.default in (None, PydanticUndefined) else str(field.default)
    return None


def app_setting(name: str) -> str:
    """os.environ, then local.settings.json "Values", then the Settings default."""
    for value in (os.environ.get(name), _local_settings_values().get(name), _settings_default(name)):
        if isinstance(value, str) and value:
            return value
    raise ConfigError(f"{name}: app setting used in a binding expression (%{name}%) is not set")


def resolve(value: str) -> str:
    """Expand every `%NAME%` in a binding property."""
    return _EXPRESSION.sub(lambda match: app_setting(match.group(1)), value)
