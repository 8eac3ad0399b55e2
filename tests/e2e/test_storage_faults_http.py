"""The issue's full disk over HTTP: the embedded default's data folder (SQLite and model store)
fills up; batches and health answer 503 instead of 500 and "ok", and recover once space is freed."""

from __future__ import annotations

from shared.devhost.process import spawn
from shared.sample_data import generate
from tests.disk import fill, tiny_filesystem
from tests.e2e.conftest import Devhost, server_settings


def test_a_full_disk_answers_503_on_batches_and_health_until_freed(tmp_path):
    with tiny_filesystem(tmp_path / "data", size="8m") as data:
        devhost = Devhost(spawn(tmp_path / "host", server_settings(None) | {"APP_DATA_DIR": str(data)}, migrate=False))
        try:
            with devhost.client(headers=devhost.signup()) as client:
                upload_id = client.post("/uploads", json={}).json()["upload_id"]
                batch = {"batch": 1, "items": next(generate(orders=600, seed=4).batches("customers"))}
                filler = fill(data)

                refused = client.post(f"/uploads/{upload_id}/customers", json=batch)
                assert refused.status_code == 503, refused.text
                assert refused.headers["content-type"].startswith("application/problem+json")
                assert int(refused.headers["retry-after"]) > 0
                health = client.get("/health")
                assert health.status_code == 503 and ["model_store"] in [e["loc"] for e in health.json()["errors"]]

                filler.unlink()
                accepted = client.post(f"/uploads/{upload_id}/customers", json=batch)
                assert accepted.status_code == 200, accepted.text
                assert accepted.json()["inserted"] == len(batch["items"]), "the refused attempt wrote nothing"
                assert client.get("/health").status_code == 200
        finally:
            assert devhost.child.stop() == 0, devhost.log.read_text(errors="replace")[-3000:]
