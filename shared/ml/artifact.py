"""One joblib file per model plus a manifest; the sha256 is verified before anything is unpickled.

Unpickling runs code, so bytes whose digest differs from the one recorded in the database are
refused outright: a corrupted or swapped blob fails loudly instead of scoring orders.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import platform
from datetime import UTC, datetime
from importlib.metadata import version

import joblib

from shared.ml.errors import ArtifactIntegrityError
from shared.ml.model import CreditModel

ARTIFACT_FORMAT = "creditgate-model/1"
_LIBRARIES = ("scikit-learn", "numpy", "pandas", "scipy", "joblib")


def dump_model(model: CreditModel, extra_manifest: dict | None = None) -> tuple[bytes, dict]:
    """Serialise `model`; the manifest describes the bytes (extra keys, e.g. the training report,
    are merged in but cannot override the integrity fields)."""
    buffer = io.BytesIO()
    joblib.dump(model, buffer, compress=3)
    data = buffer.getvalue()
    manifest = dict(extra_manifest or {}) | {
        "format": ARTIFACT_FORMAT,
        "sha256": hashlib.sha256(data).hexdigest(),
        "size_bytes": len(data),
        "created_at": datetime.now(UTC).isoformat(),
        "libraries": {"python": platform.python_version()} | {name: version(name) for name in _LIBRARIES},
        "family": model.family,
        "params": model.params,
        "features": model.features,
        "threshold": model.threshold,
        "metrics": model.metrics,
    }
    return data, manifest


def load_model(data: bytes, expected_sha256: str) -> CreditModel:
    actual = hashlib.sha256(data).hexdigest()
    if not hmac.compare_digest(actual.encode(), expected_sha256.strip().lower().encode()):
        raise ArtifactIntegrityError(
            f"model artifact rejected: sha256 of the stored bytes is {actual}, "
            f"but {expected_sha256} was recorded; the file was altered or belongs to another model"
        )
    model = joblib.load(io.BytesIO(data))
    if not isinstance(model, CreditModel):
        raise ArtifactIntegrityError(f"model artifact holds a {type(model).__name__}, not a CreditModel")
    return model
