"""The devhost against databases nobody migrated (DESIGN §7): the embedded default migrates itself
at start; a configured database behind the code answers 503 naming the fix until it is migrated."""

from __future__ import annotations

import uuid

from shared.config import get_settings
from shared.db.migrate import upgrade
from shared.devhost.process import spawn
from tests.e2e.conftest import Devhost, server_settings

FIX = "python -m shared.db.migrate"


def _signup_body() -> dict[str, str]:
    return {"company": "Nova Ltda", "email": f"nova-{uuid.uuid4().hex[:8]}@example.com.br", "password": "senha longa de teste"}


def test_a_fresh_data_folder_serves_without_make(tmp_path):
    devhost = Devhost(spawn(tmp_path / "fresh", server_settings(None), migrate=False))
    try:
        with devhost.client() as client:
            assert client.get("/health").status_code == 200
            assert client.post("/signup", json=_signup_body()).status_code == 201
    finally:
        assert devhost.child.stop() == 0, devhost.log.read_text(errors="replace")[-3000:]


def test_a_database_behind_the_code_answers_503_naming_the_fix_until_migrated(tmp_path, fresh_postgres_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", fresh_postgres_url)
    get_settings.cache_clear()
    upgrade("0003")
    devhost = Devhost(spawn(tmp_path / "pg", server_settings(fresh_postgres_url), migrate=False))
    try:
        with devhost.client() as client:
            health = client.get("/health")
            signup = client.post("/signup", json=_signup_body())
            listed = client.get("/models")  # no credentials: the schema is judged before anything else
            for answer in (health, signup, listed):
                assert answer.status_code == 503, answer.text
                assert answer.headers["content-type"].startswith("application/problem+json")
            assert [error["loc"] for error in health.json()["errors"]] == [["database"]]
            assert FIX in health.json()["errors"][0]["msg"] and "0003" in health.json()["errors"][0]["msg"]
            assert FIX in signup.json()["detail"] and FIX in listed.json()["detail"]

            upgrade()  # while the devhost runs: no restart
            assert client.get("/health").status_code == 200
            assert client.post("/signup", json=_signup_body()).status_code == 201
    finally:
        assert devhost.child.stop() == 0, devhost.log.read_text(errors="replace")[-3000:]
