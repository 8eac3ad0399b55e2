"""Trained models in memory, per worker: read from the store once, checked against the registry's sha256."""

from __future__ import annotations

import threading
import uuid
from typing import TYPE_CHECKING

from cachetools import LRUCache

from shared.adapters.model_store import model_store_from_settings
from shared.config import Settings
from shared.db.models import ModelVersion

if TYPE_CHECKING:
    from shared.ml.model import CreditModel

_models: LRUCache[tuple[uuid.UUID, int], CreditModel] = LRUCache(maxsize=32)
_lock = threading.Lock()


def load_version(settings: Settings, version: ModelVersion) -> CreditModel:
    """The model of a registry row; a warm call never touches the artifact store."""
    from shared.ml.artifact import load_model

    key = (version.tenant_id, version.version)
    with _lock:
        model = _models.get(key)
    if model is None:
        data = model_store_from_settings(settings).get(version.artifact_uri)
        model = load_model(data, expected_sha256=version.sha256)  # refuses tampered bytes before unpickling
        with _lock:
            _models[key] = model
    return model


def forget_tenant(tenant_id: uuid.UUID) -> None:
    """Dropped on activation, so a rollback is served from a fresh, re-verified load."""
    with _lock:
        for key in [key for key in _models if key[0] == tenant_id]:
            del _models[key]
