"""The emulated cloud shape: PostgreSQL + Azurite blob storage + a Kafka-protocol broker, over HTTP.

Events go through the broker: the commit's relay publishes to `training-requests`, the devhost
consumes it in a consumer group and runs the same `train` function the Functions host would.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from azure.storage.blob import BlobServiceClient

from shared.demo import upload_sample, wait_for_job
from shared.devhost.process import spawn
from shared.sample_data import generate
from tests.e2e.conftest import Devhost, server_settings
from tests.services import KafkaBroker, PostgresUnavailable, throwaway_postgres, unavailable

TOPIC = "training-requests"


@pytest.fixture
def cloud_like(tmp_path, azurite, kafka_broker) -> Iterator[tuple[dict, KafkaBroker, str]]:
    """Settings for a devhost on its own PostgreSQL database, Azurite and the broker."""
    kafka_broker.create_topic(TOPIC)  # provisioned with the namespace in Azure (infra/)
    try:
        with throwaway_postgres() as database_url:
            settings = server_settings(database_url) | {
                "EVENTS_BACKEND": "kafka",
                "KAFKA_BOOTSTRAP_SERVERS": kafka_broker.bootstrap,
                "TRAINING_CONSUMER_GROUP": "creditgate-training",
                "MODEL_STORE": "azureblob",
                "MODEL_STORAGE_CONNECTION": azurite,
                "TRAINING_MAINTENANCE_SCHEDULE": "*/2 * * * * *",
                "TRAINING_LEASE_SECONDS": "30",
            }
            yield settings, kafka_broker, azurite
    except PostgresUnavailable as exc:
        unavailable(str(exc))


def start(tmp_path: Path, settings: dict) -> Devhost:
    return Devhost(spawn(tmp_path / f"devhost-{time.monotonic_ns()}", settings))


def test_commit_event_through_kafka_trains_a_model_stored_in_blob_storage(tmp_path, cloud_like):
    settings, _, azurite = cloud_like
    host = start(tmp_path, settings)
    try:
        with host.client(headers=host.signup()) as client:
            commit = upload_sample(client, generate(orders=800, seed=8))
            job = wait_for_job(client, commit["training_job_id"], timeout=240)
            assert job["status"] == "succeeded", job
            assert client.get("/models").json()["items"][0]["active"]
            assert client.get("/health").json() == {"status": "ok", "database": "ok", "model_store": "ok"}
    finally:
        assert host.child.stop() == 0
    blobs = BlobServiceClient.from_connection_string(azurite).get_container_client("models").list_blobs()
    names = [blob.name for blob in blobs]
    assert any(name.endswith(f"jobs/{commit['training_job_id']}/attempt-1/model.joblib") for name in names)
    assert any(name.endswith("manifest.json") for name in names)


def test_a_broker_outage_at_commit_delays_training_but_loses_nothing(tmp_path, cloud_like):
    settings, broker, _ = cloud_like
    host = start(tmp_path, settings)
    try:
        with host.client(headers=host.signup()) as client:
            sample = generate(orders=600, seed=9)
            with broker.outage():
                commit = upload_sample(client, sample)  # answers 202 although the broker is down
                time.sleep(3)
                assert client.get(f"/training-jobs/{commit['training_job_id']}").json()["status"] == "queued"
            job = wait_for_job(client, commit["training_job_id"], timeout=240)
            assert job["status"] == "succeeded", job
    finally:
        assert host.child.stop() == 0


def test_a_crash_during_training_is_redelivered_and_trains_exactly_once(tmp_path, cloud_like):
    settings, _, _ = cloud_like
    host = start(tmp_path, settings)
    headers = host.signup()
    with host.client(headers=headers) as client:
        job_id = upload_sample(client, generate(orders=1500, seed=10))["training_job_id"]
        deadline = time.monotonic() + 120
        while client.get(f"/training-jobs/{job_id}").json()["status"] != "running":
            assert time.monotonic() < deadline, "the job never started"
            time.sleep(0.05)
    host.child.process.kill()  # the worker dies mid-training: no ack, no result
    host.child.process.wait()

    restarted = start(tmp_path, settings)
    try:
        with restarted.client(headers=headers) as client:
            job = wait_for_job(client, job_id, timeout=300)
            assert job["status"] == "succeeded", job
            assert [(m["version"], m["active"]) for m in client.get("/models").json()["items"]] == [(1, True)]
    finally:
        assert restarted.child.stop() == 0
    assert "lease expired" in restarted.child.log.read_text()
