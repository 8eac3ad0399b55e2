"""The real thing over HTTP: `python -m shared.devhost` in a subprocess, once per database backend."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.conftest import SETTING_NAMES
from tests.services import free_port

REPO = Path(__file__).resolve().parents[2]
BANNER = "CreditGate devhost listening on"


@dataclass
class Devhost:
    url: str
    data_dir: Path
    log: Path

    def client(self, **kwargs) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=60, **kwargs)

    def signup(self) -> dict[str, str]:
        """A fresh tenant; returns the Authorization header of its first user."""
        email = f"e2e-{uuid.uuid4().hex[:10]}@example.com.br"
        with self.client() as client:
            answer = client.post("/signup", json={"company": "E2E Ltda", "email": email, "password": "senha de teste longa"})
        assert answer.status_code == 201, answer.text
        return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def _environment(data_dir: Path, database_url: str | None) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if name not in SETTING_NAMES}
    env.update(APP_DATA_DIR=str(data_dir), EVENTS_BACKEND="local", MODEL_STORE="local", PYTHONPATH=str(REPO))
    if database_url:
        env.update(DATABASE_URL=database_url, JWT_SECRET=secrets.token_urlsafe(32), DOCUMENT_HASH_KEY=secrets.token_urlsafe(32))
    return env


def start_devhost(data_dir: Path, database_url: str | None) -> tuple[subprocess.Popen, Devhost]:
    env = _environment(data_dir, database_url)
    subprocess.run([sys.executable, "-m", "shared.db.migrate"], env=env, cwd=REPO, check=True)
    port = free_port()
    log = data_dir / "devhost.log"
    with open(log, "wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "shared.devhost", "--host", "127.0.0.1", "--port", str(port)],
            env=env, cwd=REPO, stdout=output, stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 60
    while BANNER not in log.read_text(errors="replace"):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"devhost did not start:\n{log.read_text(errors='replace')[-3000:]}")
        time.sleep(0.1)
    return process, Devhost(f"http://127.0.0.1:{port}/api", data_dir, log)


def stop_devhost(process: subprocess.Popen) -> int:
    process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        raise


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def devhost(request, tmp_path_factory) -> Iterator[Devhost]:
    database_url = request.getfixturevalue("postgres_url") if request.param == "postgresql" else None
    process, host = start_devhost(tmp_path_factory.mktemp(f"devhost-{request.param}"), database_url)
    yield host
    assert stop_devhost(process) == 0, host.log.read_text(errors="replace")[-3000:]
