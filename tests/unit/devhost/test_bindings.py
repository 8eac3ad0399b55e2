"""host.json options and %APP_SETTING% binding expressions, resolved as the Functions host would."""

from __future__ import annotations

import json

import pytest

from shared.config import ConfigError
from shared.devhost.bindings import HostOptions, resolve


def test_host_json_gives_route_prefix_and_event_batch_size(tmp_path):
    (tmp_path / "host.json").write_text(
        json.dumps(
            {
                "version": "2.0",
                "extensions": {"http": {"routePrefix": "/v1/"}, "eventHubs": {"maxEventBatchSize": 7}},
            }
        )
    )
    assert HostOptions.load(tmp_path) == HostOptions(route_prefix="v1", max_event_batch_size=7)


def test_host_json_defaults_and_empty_prefix(tmp_path):
    assert HostOptions.load(tmp_path) == HostOptions(route_prefix="api", max_event_batch_size=100)
    (tmp_path / "host.json").write_text(json.dumps({"extensions": {"http": {"routePrefix": ""}}}))
    assert HostOptions.load(tmp_path).route_prefix == ""


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "host.json: not valid JSON"),
        ('{"extensions": {"http": {"routePrefix": 3}}}', "routePrefix must be a string"),
        (
            '{"extensions": {"eventHubs": {"maxEventBatchSize": 0}}}',
            "maxEventBatchSize must be a positive integer",
        ),
    ],
)
def test_invalid_host_json_is_a_config_error(tmp_path, content, message):
    (tmp_path / "host.json").write_text(content)
    with pytest.raises(ConfigError, match=message):
        HostOptions.load(tmp_path)


def test_environment_wins_over_local_settings_which_wins_over_settings_default(tmp_path, monkeypatch):
    # the autouse app_env fixture runs each test in tmp_path, where local.settings.json is read
    assert resolve("%TRAINING_EVENT_HUB%") == "training-requests"  # the Settings field's default
    (tmp_path / "local.settings.json").write_text(json.dumps({"Values": {"TRAINING_EVENT_HUB": "from-file"}}))
    assert resolve("%TRAINING_EVENT_HUB%") == "from-file"
    monkeypatch.setenv("TRAINING_EVENT_HUB", "from-env")
    assert resolve("%TRAINING_EVENT_HUB%") == "from-env"


def test_expressions_expand_inside_text_and_plain_text_stays(monkeypatch):
    monkeypatch.setenv("DEVHOST_TEST_ENV", "dev")
    assert resolve("hub-%DEVHOST_TEST_ENV%-%TRAINING_CONSUMER_GROUP%") == "hub-dev-$Default"
    assert resolve("plain-name") == "plain-name"


def test_unset_app_setting_is_a_config_error_naming_it():
    with pytest.raises(ConfigError, match=r"^DEVHOST_MISSING_HUB: app setting .* is not set$"):
        resolve("%DEVHOST_MISSING_HUB%")
