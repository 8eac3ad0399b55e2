"""The real thing over HTTP: `python -m shared.devhost` in a subprocess, once per database backend."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from shared.devhost.process import ChildDevhost, spawn


@dataclass
class Devhost:
    child: ChildDevhost

    @property
    def url(self) -> str:
        return self.child.url

    @property
    def log(self) -> Path:
        return self.child.log

    def client(self, **kwargs) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=60, **kwargs)

    def signup(self) -> dict[str, str]:
        """A fresh tenant; returns the Authorization header of its first user."""
        email = f"e2e-{uuid.uuid4().hex[:10]}@example.com.br"
        with self.client() as client:
            answer = client.post("/signup", json={"company": "E2E Ltda", "email": email, "password": "senha de teste longa"})
        assert answer.status_code == 201, answer.text
        return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def server_settings(database_url: str | None) -> dict[str, str]:
    settings = {"EVENTS_BACKEND": "local", "MODEL_STORE": "local"}
    if database_url:
        settings.update(DATABASE_URL=database_url, JWT_SECRET=secrets.token_urlsafe(32), DOCUMENT_HASH_KEY=secrets.token_urlsafe(32))
    return settings


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def devhost(request, tmp_path_factory) -> Iterator[Devhost]:
    database_url = request.getfixturevalue("devhost_postgres_url") if request.param == "postgresql" else None
    child = spawn(tmp_path_factory.mktemp(f"devhost-{request.param}"), server_settings(database_url))
    yield Devhost(child)
    assert child.stop() == 0, child.log.read_text(errors="replace")[-3000:]
