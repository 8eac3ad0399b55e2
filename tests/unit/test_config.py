import json
import stat

import pytest

from shared.config import ConfigError, load_settings


def test_embedded_default_needs_no_settings_and_keeps_one_generated_jwt_secret(tmp_path):
    settings = load_settings()
    assert settings.embedded
    assert settings.sqlalchemy_url.startswith("sqlite:///") and "creditgate.db" in settings.sqlalchemy_url
    secret = settings.secret("jwt_secret")
    assert len(secret) >= 32
    assert load_settings().secret("jwt_secret") == secret, "generated once, then reused"
    path = settings.app_data_dir / "secrets" / "jwt_secret"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert settings.secret("document_hash_key") != secret


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"DATABASE_URL": "postgresql+psycopg://db/x"}, "JWT_SECRET"),
        ({"DATABASE_URL": "postgresql+psycopg://db/x", "JWT_SECRET": "s" * 40}, "DOCUMENT_HASH_KEY"),
        ({"JWT_SECRET": "too-short"}, "JWT_SECRET"),
        ({"MODEL_STORE": "s3"}, "MODEL_STORE"),
        ({"MODEL_STORE": "azureblob"}, "MODEL_STORAGE_CONNECTION"),
        ({"EVENTS_BACKEND": "kafka"}, "KAFKA_BOOTSTRAP_SERVERS"),
        ({"EVENTS_BACKEND": "eventhub"}, "EventHubConnection"),
        ({"JWT_TTL_SECONDS": "soon"}, "JWT_TTL_SECONDS"),
        ({"JWT_SECRET": "@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/jwt/)"}, "JWT_SECRET"),
    ],
)
def test_a_missing_or_invalid_setting_is_one_line_naming_it(monkeypatch, env, named):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as raised:
        load_settings()
    message = str(raised.value)
    assert named in message and "\n" not in message
    assert "too-short" not in message, "secret values never appear in errors"


def test_local_settings_values_are_read_and_the_environment_wins(tmp_path, monkeypatch):
    values = {"Values": {"JWT_ISSUER": "from-file", "JWT_AUDIENCE": "aud-from-file", "MODEL_CONTAINER": ""}}
    (tmp_path / "local.settings.json").write_text(json.dumps(values))
    monkeypatch.setenv("JWT_AUDIENCE", "aud-from-env")
    settings = load_settings()
    assert settings.jwt_issuer == "from-file"
    assert settings.jwt_audience == "aud-from-env"
    assert settings.model_container == "models", "an empty value means unset"


def test_a_broken_local_settings_file_is_named(tmp_path):
    (tmp_path / "local.settings.json").write_text("{not json")
    with pytest.raises(ConfigError, match="local.settings.json"):
        load_settings()
