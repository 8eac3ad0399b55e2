"""Trained models in memory, per worker: read from the store once, checked against the registry's sha256."""

from __future__ import annotations

import gc
import logging
import threading
import uuid
from typing import TYPE_CHECKING, Protocol

from cachetools import LRUCache

from shared.adapters.model_store import ArtifactNotFound, model_store_from_settings
from shared.config import Settings
from shared.errors import ModelUnavailable
from shared.ml.errors import ArtifactIntegrityError

if TYPE_CHECKING:
    from shared.ml.model import CreditModel


class Registered(Protocol):
    """What loading needs of a registry row (`ModelVersion`, or just these columns of it)."""

    tenant_id: uuid.UUID
    version: int
    artifact_uri: str
    sha256: str


log = logging.getLogger(__name__)
_models: LRUCache[tuple[uuid.UUID, int], CreditModel] = LRUCache(maxsize=32)
_lock = threading.Lock()


def load_version(settings: Settings, version: Registered) -> CreditModel:
    """The model of a registry row; a warm call never touches the artifact store. An artifact that
    is gone or altered is `ModelUnavailable`; a store that cannot be reached raises as it is."""
    from shared.ml.artifact import load_model

    key = (version.tenant_id, version.version)
    with _lock:
        model = _models.get(key)
    if model is None:
        try:
            data = model_store_from_settings(settings).get(version.artifact_uri)
            model = load_model(data, expected_sha256=version.sha256)  # refuses tampered bytes before unpickling
        except (ArtifactNotFound, ArtifactIntegrityError) as exc:
            raise _unusable(version, exc) from exc
        with _lock:
            _models[key] = model
        # What is alive now is the worker's long-lived state: the ML libraries, models, contexts.
        # Frozen, garbage collection stops walking those few hundred thousand objects, which
        # cost a request that triggered a full collection up to 100 ms.
        gc.freeze()
    return model


def _unusable(version: Registered, exc: Exception) -> ModelUnavailable:
    # The operator's line carries the cause; the tenant's answer names the version and the fix.
    log.error("model version %d of tenant %s cannot be loaded: %s", version.version, version.tenant_id, exc)
    what = "is missing from the model store" if isinstance(exc, ArtifactNotFound) else "failed its integrity check"
    return ModelUnavailable(
        f"The artifact of model version {version.version} {what}, so it cannot answer. Retrain "
        "(POST /api/training-jobs) or activate another version (POST /api/models/{version}/activate)."
    )


def forget_tenant(tenant_id: uuid.UUID) -> None:
    """Dropped on activation, so a rollback is served from a fresh, re-verified load."""
    with _lock:
        for key in [key for key in _models if key[0] == tenant_id]:
            del _models[key]
