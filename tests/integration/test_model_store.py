"""Model store adapters against a real filesystem and a real Azurite blob service."""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path

import pytest
from azure.storage.blob import BlobServiceClient

from shared.adapters.model_store import (
    ArtifactNotFound,
    AzureBlobModelStore,
    InvalidArtifactName,
    LocalModelStore,
    ModelStoreUnavailable,
    model_store_from_settings,
)
from shared.config import Settings
from tests.services import AZURITE_KEY, free_port

NAME = "tenants/3f1c/models/v3/model.joblib"


def test_local_round_trip_overwrites_atomically(tmp_path: Path) -> None:
    store = model_store_from_settings(Settings(APP_DATA_DIR=str(tmp_path)))
    store.probe()
    assert list((tmp_path / "models" / ".health").iterdir()) == [], "the probe object is deleted"

    uri = store.put(NAME, b"first")
    assert uri == (tmp_path / "models" / NAME).resolve().as_uri()
    assert store.get(uri) == b"first"

    assert store.put(NAME, b"second" * 1000) == uri
    assert store.get(uri) == b"second" * 1000
    assert sorted(os.listdir(Path(uri.removeprefix("file://")).parent)) == [
        "model.joblib"
    ]  # no temp file left


@pytest.mark.parametrize(
    "name", ["../escape.joblib", "tenants/../../escape.joblib", "/etc/escape", "", "a//b", "a\\..\\b"]
)
def test_local_refuses_names_escaping_the_root(tmp_path: Path, name: str) -> None:
    store = LocalModelStore(tmp_path / "models")
    with pytest.raises(InvalidArtifactName):
        store.put(name, b"x")
    assert not any(path.is_file() for path in tmp_path.rglob("*"))


def test_local_refuses_a_symlink_out_of_the_root(tmp_path: Path) -> None:
    (tmp_path / "models" / "tenants").mkdir(parents=True)
    (tmp_path / "outside").mkdir()
    (tmp_path / "models" / "tenants" / "t1").symlink_to(tmp_path / "outside")
    store = LocalModelStore(tmp_path / "models")

    with pytest.raises(InvalidArtifactName):
        store.put("tenants/t1/model.joblib", b"x")
    with pytest.raises(InvalidArtifactName):
        store.get((tmp_path / "outside" / "model.joblib").as_uri())
    assert list((tmp_path / "outside").iterdir()) == []


def test_local_missing_artifact_names_the_uri(tmp_path: Path) -> None:
    store = LocalModelStore(tmp_path / "models")
    missing = (tmp_path / "models" / NAME).as_uri()
    with pytest.raises(ArtifactNotFound, match="model.joblib"):
        store.get(missing)
    with pytest.raises(ArtifactNotFound, match="not a file://"):
        store.get("https://example.invalid/models/model.joblib")


@pytest.fixture
def blob_settings(azurite: str) -> Settings:
    return Settings(
        MODEL_STORE="azureblob",
        MODEL_STORAGE_CONNECTION=azurite,
        MODEL_CONTAINER=f"models-{uuid.uuid4().hex[:12]}",
    )


def test_azurite_round_trip_creates_the_container(azurite: str, blob_settings: Settings) -> None:
    service = BlobServiceClient.from_connection_string(azurite)
    container = service.get_container_client(blob_settings.model_container)
    assert not container.exists()
    store = model_store_from_settings(blob_settings)

    store.probe()
    assert container.exists()
    assert list(container.list_blobs()) == [], "the probe blob is deleted"

    uri = store.put(NAME, b"\x80joblib-bytes")
    assert uri == f"{container.url}/{NAME}"
    assert store.get(uri) == b"\x80joblib-bytes"
    assert container.download_blob(NAME).readall() == b"\x80joblib-bytes"
    store.put(NAME, b"retrained")
    assert (
        model_store_from_settings(blob_settings).get(uri) == b"retrained"
    )  # a fresh client reads the same URI


def test_azurite_put_creates_the_container_without_ping(azurite: str, blob_settings: Settings) -> None:
    store = model_store_from_settings(blob_settings)
    assert store.get(store.put("a b/ç%.joblib", b"odd name")) == b"odd name"


def test_azurite_missing_blob(azurite: str, blob_settings: Settings) -> None:
    store = model_store_from_settings(blob_settings)
    uri = store.put(NAME, b"x")
    with pytest.raises(ArtifactNotFound, match="v4/model.joblib"):
        store.get(uri.replace("/v3/", "/v4/"))
    with pytest.raises(ArtifactNotFound, match="not in the blob container"):
        store.get(uri.replace(blob_settings.model_container, "other-container"))
    with pytest.raises(InvalidArtifactName):
        store.put("../model.joblib", b"x")


def test_unreachable_blob_store_fails_fast_without_the_key() -> None:
    dead = (
        f"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={AZURITE_KEY};"
        f"BlobEndpoint=http://127.0.0.1:{free_port()}/devstoreaccount1;"
    )
    store = AzureBlobModelStore(dead, "models")
    started = time.monotonic()
    with pytest.raises(ModelStoreUnavailable) as caught:
        store.probe()
    assert time.monotonic() - started < 15
    assert caught.value.transient, "an unreachable store may come back"
    assert AZURITE_KEY not in str(caught.value)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__
