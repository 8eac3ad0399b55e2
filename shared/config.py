"""Settings from the environment (and `local.settings.json` "Values", as `func start` does).

Environment variables win over the file, like the Functions host. A missing or invalid setting
raises `ConfigError` with one line naming it; entrypoints print that line and stop.
"""

from __future__ import annotations

import json
import secrets
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import AliasChoices, Field, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

LOCAL_SETTINGS_FILE = "local.settings.json"
MIN_SECRET_BYTES = 32


class ConfigError(RuntimeError):
    """A setting is missing or invalid; the message is one line naming it."""


class _LocalSettingsValues(PydanticBaseSettingsSource):
    """The "Values" object of local.settings.json in the working directory, when present."""

    def __call__(self) -> dict[str, Any]:
        path = Path.cwd() / LOCAL_SETTINGS_FILE
        if not path.is_file():
            return {}
        try:
            values = json.loads(path.read_text(encoding="utf-8")).get("Values", {})
        except (OSError, ValueError) as exc:
            raise ConfigError(f"{LOCAL_SETTINGS_FILE}: not valid JSON ({exc})") from None
        return {key: value for key, value in values.items() if isinstance(value, str) and value}

    def get_field_value(self, field, field_name):  # pragma: no cover - __call__ does the work
        return None, field_name, False


def _secret(name: str) -> Any:
    return Field(default=None, validation_alias=name)


class DatabaseSettings(BaseSettings):
    """What reaching the database takes: migrations run with these alone, so applying the schema
    needs no secrets or event settings it never uses."""

    model_config = SettingsConfigDict(case_sensitive=False, extra="ignore", frozen=True, env_ignore_empty=True)

    app_data_dir: Path = Field(default=Path(".data"), validation_alias="APP_DATA_DIR")
    database_url: str | None = Field(default=None, validation_alias="DATABASE_URL")

    @classmethod
    def settings_customise_sources(cls, settings_cls, init_settings, env_settings, dotenv_settings, file_secret_settings):
        return init_settings, env_settings, _LocalSettingsValues(settings_cls)

    @property
    def embedded(self) -> bool:
        """No DATABASE_URL: the zero-setup local shape, where secrets may be generated on disk."""
        return self.database_url is None

    @cached_property
    def sqlalchemy_url(self) -> str:
        # Once: every transaction asks, and resolving the path is a few system calls.
        return self.database_url or f"sqlite:///{(self.app_data_dir / 'creditgate.db').resolve()}"


class Settings(DatabaseSettings):
    model_store: Literal["local", "azureblob"] = Field(default="local", validation_alias="MODEL_STORE")
    model_storage_connection: str | None = Field(
        default=None, validation_alias=AliasChoices("MODEL_STORAGE_CONNECTION", "AzureWebJobsStorage")
    )
    model_container: str = Field(default="models", validation_alias="MODEL_CONTAINER")

    events_backend: Literal["local", "eventhub", "kafka"] = Field(
        default="local", validation_alias="EVENTS_BACKEND"
    )
    event_hub_connection: str | None = Field(
        default=None,
        validation_alias=AliasChoices("EventHubConnection", "EventHubConnection__fullyQualifiedNamespace"),
    )
    training_event_hub: str = Field(default="training-requests", validation_alias="TRAINING_EVENT_HUB")
    training_consumer_group: str = Field(default="$Default", validation_alias="TRAINING_CONSUMER_GROUP")
    kafka_bootstrap_servers: str | None = Field(default=None, validation_alias="KAFKA_BOOTSTRAP_SERVERS")
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = Field(
        default="PLAINTEXT", validation_alias="KAFKA_SECURITY_PROTOCOL"
    )
    kafka_sasl_mechanism: str = Field(default="PLAIN", validation_alias="KAFKA_SASL_MECHANISM")
    kafka_sasl_username: str | None = Field(default=None, validation_alias="KAFKA_SASL_USERNAME")
    kafka_sasl_password: SecretStr | None = _secret("KAFKA_SASL_PASSWORD")

    jwt_secret: SecretStr | None = _secret("JWT_SECRET")
    jwt_ttl_seconds: int = Field(default=3600, ge=60, le=86400, validation_alias="JWT_TTL_SECONDS")
    jwt_issuer: str = Field(default="creditgate", validation_alias="JWT_ISSUER")
    jwt_audience: str = Field(default="creditgate-api", validation_alias="JWT_AUDIENCE")
    document_hash_key: SecretStr | None = _secret("DOCUMENT_HASH_KEY")

    training_lease_seconds: int = Field(default=900, ge=30, validation_alias="TRAINING_LEASE_SECONDS")
    training_threads: int | None = Field(default=None, ge=1, validation_alias="TRAINING_THREADS")
    # A run that hit a transient fault (full disk, lost database) is tried again after
    # TRAINING_RETRY_SECONDS, doubling each time, up to TRAINING_MAX_ATTEMPTS runs in all.
    training_max_attempts: int = Field(default=4, ge=1, le=20, validation_alias="TRAINING_MAX_ATTEMPTS")
    training_retry_seconds: int = Field(default=60, ge=0, validation_alias="TRAINING_RETRY_SECONDS")
    training_maintenance_schedule: str = Field(
        default="*/30 * * * * *", validation_alias="TRAINING_MAINTENANCE_SCHEDULE"
    )
    prediction_log_schedule: str = Field(default="*/30 * * * * *", validation_alias="PREDICTION_LOG_SCHEDULE")
    retraining_schedule: str = Field(default="0 0 * * * *", validation_alias="RETRAINING_SCHEDULE")
    # A worker's scoring contexts (`services.context_cache`): ~300 bytes a row (rows and index).
    context_cache_rows: int = Field(default=1_000_000, ge=0, validation_alias="CONTEXT_CACHE_ROWS")
    context_whole_tenant_rows: int = Field(default=200_000, ge=0, validation_alias="CONTEXT_WHOLE_TENANT_ROWS")
    # The devhost's HTTP server (`shared.devhost.server.Limits`); the Functions host has its own.
    devhost_connection_limit: int = Field(default=500, ge=10, validation_alias="DEVHOST_CONNECTION_LIMIT")
    devhost_channel_timeout_seconds: int = Field(
        default=30, ge=1, validation_alias="DEVHOST_CHANNEL_TIMEOUT_SECONDS"
    )
    # Abuse limits (`services.signin_limits`, `services.request_rate`); each a number per window.
    signin_window_seconds: int = Field(default=300, ge=1, validation_alias="SIGNIN_WINDOW_SECONDS")
    signin_max_failures_per_email: int = Field(
        default=10, ge=1, validation_alias="SIGNIN_MAX_FAILURES_PER_EMAIL"
    )
    signin_max_attempts_per_address: int = Field(
        default=100, ge=1, validation_alias="SIGNIN_MAX_ATTEMPTS_PER_ADDRESS"
    )
    tenant_requests_per_minute: int = Field(default=30_000, ge=1, validation_alias="TENANT_REQUESTS_PER_MINUTE")
    # Webhooks (`services.webhooks`): None means "only in the embedded default", where receivers are local.
    webhooks_allow_private: bool | None = Field(default=None, validation_alias="WEBHOOKS_ALLOW_PRIVATE")
    webhook_delivery_schedule: str = Field(default="*/10 * * * * *", validation_alias="WEBHOOK_DELIVERY_SCHEDULE")
    webhook_retry_base_seconds: float = Field(default=10, gt=0, le=3600, validation_alias="WEBHOOK_RETRY_BASE_SECONDS")

    @model_validator(mode="after")
    def _check_backends(self) -> Settings:
        if self.model_store == "azureblob" and not self.model_storage_connection:
            raise ValueError("MODEL_STORAGE_CONNECTION (or AzureWebJobsStorage) is required when MODEL_STORE=azureblob")
        if self.events_backend == "eventhub" and not self.event_hub_connection:
            raise ValueError("EventHubConnection is required when EVENTS_BACKEND=eventhub")
        if self.events_backend == "kafka" and not self.kafka_bootstrap_servers:
            raise ValueError("KAFKA_BOOTSTRAP_SERVERS is required when EVENTS_BACKEND=kafka")
        if self.kafka_security_protocol.startswith("SASL") and not (self.kafka_sasl_username and self.kafka_sasl_password):
            raise ValueError("KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD are required with SASL")
        for name, value in (("JWT_SECRET", self.jwt_secret), ("DOCUMENT_HASH_KEY", self.document_hash_key)):
            if value is None and not self.embedded:
                raise ValueError(f"{name} is required when DATABASE_URL is set")
            if value is not None and value.get_secret_value().startswith("@Microsoft.KeyVault("):
                # App Service passes an unresolved Key Vault reference through as literal text.
                raise ValueError(f"{name} is an unresolved Key Vault reference; check the app's access to the vault")
            if value is not None and len(value.get_secret_value().encode()) < MIN_SECRET_BYTES:
                raise ValueError(f"{name} must be at least {MIN_SECRET_BYTES} bytes")
        return self

    @property
    def allow_private_webhooks(self) -> bool:
        """http and private, loopback or link-local webhook targets (DESIGN §9): local development only."""
        return self.embedded if self.webhooks_allow_private is None else self.webhooks_allow_private

    def secret(self, name: Literal["jwt_secret", "document_hash_key"]) -> bytes:
        """The configured secret, or in the embedded shape one generated once under APP_DATA_DIR."""
        value: SecretStr | None = getattr(self, name)
        if value is not None:
            return value.get_secret_value().encode()
        path = self.app_data_dir / "secrets" / name
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            try:
                with open(path, "x", encoding="ascii") as handle:  # "x": two processes never both write
                    handle.write(secrets.token_urlsafe(48))
                path.chmod(0o600)
            except FileExistsError:
                pass
        return path.read_text(encoding="ascii").strip().encode()


AnySettings = TypeVar("AnySettings", bound=DatabaseSettings)


def load_settings(kind: type[AnySettings] = Settings) -> AnySettings:
    try:
        return kind()
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"]) or "settings"
        message = error["msg"].removeprefix("Value error, ")
        raise ConfigError(message if not error["loc"] else f"{where}: {message}") from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Settings for this process; tests call `get_settings.cache_clear()` after changing the env."""
    return load_settings()
