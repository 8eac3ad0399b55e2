"""Trained models in memory, per worker: read from the store once, checked against the registry's sha256."""

from __future__ import annotations

import gc
import threading
import uuid
from typing import TYPE_CHECKING, Protocol

from cachetools import LRUCache

from shared.adapters.model_store import model_store_from_settings
from shared.config import Settings

if TYPE_CHECKING:
    from shared.ml.model import CreditModel


class Registered(Protocol):
    """What loading needs of a registry row (`ModelVersion`, or just these columns of it)."""

    tenant_id: uuid.UUID
    version: int
    artifact_uri: str
    sha256: str


_models: LRUCache[tuple[uuid.UUID, int], CreditModel] = LRUCache(maxsize=32)
_lock = threading.Lock()


def load_version(settings: Settings, version: Registered) -> CreditModel:
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
        # What is alive now is the worker's long-lived state: the ML libraries, models, contexts.
        # Frozen, garbage collection stops walking those few hundred thousand objects, which
        # cost a request that triggered a full collection up to 100 ms.
        gc.freeze()
    return model


def forget_tenant(tenant_id: uuid.UUID) -> None:
    """Dropped on activation, so a rollback is served from a fresh, re-verified load."""
    with _lock:
        for key in [key for key in _models if key[0] == tenant_id]:
            del _models[key]
