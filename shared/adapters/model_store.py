"""Where trained model artifacts live: local files in the embedded shape, Blob Storage elsewhere.

Callers keep the URI that `put` returns (it goes into the model registry) and hand it back to
`get`; they never build paths or blob URLs themselves. Azure SDKs are imported only by the blob
adapter, so importing this module stays cheap for a cold function.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Protocol
from urllib.parse import unquote, urlsplit, urlunsplit

from shared.faults import is_transient

if TYPE_CHECKING:
    from shared.config import Settings

# The SDK's default backoff (15 s, then 18 s, 24 s...) would stall a training job or a request for
# a minute on an outage; artifacts are small, so retry a few times quickly instead.
_CONNECTION_TIMEOUT_SECONDS = 5
_RETRY = {"initial_backoff": 1, "increment_base": 2, "retry_total": 3, "random_jitter_range": 1}
# Where `probe` writes its throwaway objects (a name no artifact gets: artifacts live under tenants/).
_PROBE_PREFIX = ".health"


class ArtifactNotFound(LookupError):
    """No artifact at the given URI (deleted, or the store was reconfigured)."""


class InvalidArtifactName(ValueError):
    """A name that is empty, absolute or climbs out of the store with `..`."""


class ModelStoreUnavailable(RuntimeError):
    """The store could not be reached or used; the message never carries credentials. `transient`
    says whether the cause may pass by itself (`shared.faults.is_transient` reads it)."""

    def __init__(self, message: str, *, transient: bool = False) -> None:
        super().__init__(message)
        self.transient = transient


class ModelStore(Protocol):
    def put(self, name: str, data: bytes) -> str: ...

    def get(self, uri: str) -> bytes: ...

    def probe(self) -> None:
        """Writes a small object, reads it back and deletes it; raises `ModelStoreUnavailable`."""
        ...


def _checked_name(name: str) -> PurePosixPath:
    """One rule for both stores, so a name that works locally also works in Azure and vice versa."""
    path = PurePosixPath(name)
    if (
        not name
        or "\\" in name
        or "\x00" in name
        or path.is_absolute()
        or any(part in ("", ".", "..") for part in name.split("/"))
    ):
        raise InvalidArtifactName(
            f"invalid artifact name {name!r}: use relative 'a/b/c' segments without '..'"
        )
    return path


class LocalModelStore:
    def __init__(self, root: Path) -> None:
        self.root = Path(root).resolve()

    def _inside(self, path: Path) -> Path:
        # resolve() follows symlinks, so a link planted under the root cannot point outside it.
        resolved = path.resolve()
        if not resolved.is_relative_to(self.root):
            raise InvalidArtifactName(f"{path} is outside the model store {self.root}")
        return resolved

    def put(self, name: str, data: bytes) -> str:
        target = self._inside(self.root / _checked_name(name))
        target.parent.mkdir(parents=True, exist_ok=True)
        # Write aside then rename: a reader (or a crash) never sees half an artifact.
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return target.as_uri()

    def get(self, uri: str) -> bytes:
        from urllib.request import url2pathname  # pulls in http.client: not at import time

        parts = urlsplit(uri)
        if parts.scheme != "file":
            raise ArtifactNotFound(f"model artifact {uri!r} is not a file:// URI of the local model store")
        path = self._inside(Path(url2pathname(parts.path)))
        try:
            return path.read_bytes()
        except (FileNotFoundError, IsADirectoryError):
            raise ArtifactNotFound(f"model artifact not found: {uri}") from None

    def probe(self) -> None:
        """Synced to disk like an artifact: a full disk or a read-only volume fails here, not later."""
        path, payload = self.root / _PROBE_PREFIX / uuid.uuid4().hex, os.urandom(16)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            try:
                with open(path, "xb") as handle:
                    handle.write(payload)
                    handle.flush()
                    os.fsync(handle.fileno())
                read = path.read_bytes()
            finally:
                path.unlink(missing_ok=True)
        except OSError as exc:
            raise ModelStoreUnavailable(
                f"model store {self.root} cannot be written and read back: {exc.strerror or exc}",
                transient=is_transient(exc),
            ) from None
        _check_read_back(read, payload, str(self.root))


def _without_query(url: str) -> str:
    """A SAS token (the query string) must never end up in a stored URI or a message."""
    return urlunsplit(urlsplit(url)._replace(query="", fragment=""))


class AzureBlobModelStore:
    """`connection` is a storage connection string, or an account URL used with DefaultAzureCredential."""

    def __init__(self, connection: str, container: str) -> None:
        from azure.storage.blob import BlobServiceClient, ExponentialRetry

        options = {
            "connection_timeout": _CONNECTION_TIMEOUT_SECONDS,
            "retry_policy": ExponentialRetry(**_RETRY),
        }
        if connection.startswith(("https://", "http://")):
            from azure.identity import DefaultAzureCredential

            service = BlobServiceClient(connection, credential=DefaultAzureCredential(), **options)
        else:
            service = BlobServiceClient.from_connection_string(connection, **options)
        self._container = service.get_container_client(container)
        self._base_url = _without_query(self._container.url).rstrip("/")
        self._container_ready = False

    def _ensure_container(self, **options: int) -> None:
        """Looks before creating: an identity may use blobs without the right to create containers."""
        from azure.core.exceptions import ResourceExistsError, ResourceNotFoundError

        try:
            self._container.get_container_properties(**options)
        except ResourceNotFoundError:
            try:
                self._container.create_container(**options)
            except ResourceExistsError:  # created meanwhile by another worker
                pass
        self._container_ready = True

    def _unavailable(self, exc: Exception) -> ModelStoreUnavailable:
        # Only the exception type and HTTP status: transport messages may echo SAS query strings.
        status = getattr(exc, "status_code", None)
        code = getattr(exc, "error_code", None)
        detail = " ".join(str(part) for part in (type(exc).__name__, status, code) if part)
        return ModelStoreUnavailable(
            f"blob model store {self._base_url} unavailable ({detail})", transient=is_transient(exc)
        )

    def put(self, name: str, data: bytes) -> str:
        from azure.core.exceptions import AzureError

        blob_name = str(_checked_name(name))
        try:
            if not self._container_ready:
                self._ensure_container()
            self._container.upload_blob(blob_name, data, overwrite=True)
        except AzureError as exc:
            raise self._unavailable(exc) from None
        return _without_query(self._container.get_blob_client(blob_name).url)

    def get(self, uri: str) -> bytes:
        from azure.core.exceptions import AzureError, ResourceNotFoundError

        prefix = f"{self._base_url}/"
        if not uri.startswith(prefix):
            raise ArtifactNotFound(f"model artifact {uri!r} is not in the blob container {self._base_url}")
        blob_name = unquote(uri.removeprefix(prefix))
        try:
            return self._container.download_blob(blob_name).readall()
        except ResourceNotFoundError:
            raise ArtifactNotFound(f"model artifact not found: {uri}") from None
        except AzureError as exc:
            raise self._unavailable(exc) from None

    def probe(self) -> None:
        """No retries: /api/health must answer within a few connection timeouts."""
        from azure.core.exceptions import AzureError

        blob, payload = self._container.get_blob_client(f"{_PROBE_PREFIX}/{uuid.uuid4().hex}"), os.urandom(16)
        try:
            if not self._container_ready:
                self._ensure_container(retry_total=0)
            blob.upload_blob(payload, overwrite=True, retry_total=0)
            try:
                read = blob.download_blob(retry_total=0).readall()
            finally:
                blob.delete_blob(retry_total=0)
        except AzureError as exc:
            raise self._unavailable(exc) from None
        _check_read_back(read, payload, self._base_url)


def _check_read_back(read: bytes, written: bytes, where: str) -> None:
    if read != written:
        raise ModelStoreUnavailable(f"model store {where} answered other bytes than were written", transient=True)


def model_store_from_settings(settings: Settings) -> ModelStore:
    if settings.model_store == "azureblob":
        # config.Settings guarantees the connection is set for azureblob.
        return AzureBlobModelStore(settings.model_storage_connection or "", settings.model_container)
    return LocalModelStore(settings.app_data_dir / "models")
