"""The served OpenAPI document against the running app. Schemathesis runs as a user would run it
(`st run`, `schemathesis.toml` beside this file): every check, every phase (examples, coverage,
fuzzing, and the stateful phase that chains what one answer creates into the next request), on
random ids and on real resources of a tenant with a trained model, derandomized so every run sends
the same requests. The API must never answer 5xx, every answer must be one the document declares,
and every request the document allows must be taken (but for rules it states in prose, see
`schemathesis_hooks.py`). Also: the documented security is what the server enforces, and Swagger
UI is served from the app."""

from __future__ import annotations

import copy
import json
import os
import re
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from shared.demo import upload_sample, wait_for_job
from shared.devhost.process import REPO
from shared.sample_data import generate

# SQLite only: the PostgreSQL run would double the time for the same document and handlers.
pytestmark = pytest.mark.parametrize("devhost", ["sqlite"], indirect=True)

BATCH_PATH = "/uploads/{upload_id}/{dataset}"
DATASETS = ("customers", "credit_limits", "serasa_queries", "orders")
CONFIG = Path(__file__).with_name("schemathesis.toml")
RUN_SECONDS = 240  # a bound for a hung run; it takes about a minute


@dataclass
class Tenant:
    """What the run authenticates with and the real resources it is pointed at (`FUZZ_*` in the configuration)."""

    environment: dict[str, str]


@pytest.fixture(scope="module")
def tenant(devhost) -> Tenant:
    """A company with a trained model, an API key, an open upload and one to commit."""
    headers = devhost.signup()
    with devhost.client(headers=headers) as client:
        commit = upload_sample(client, generate(orders=250, seed=5, days=180))
        job = wait_for_job(client, commit["training_job_id"], timeout=120)
        assert job["status"] == "succeeded" and job["model_version"] == 1, job  # 1 in schemathesis.toml
        api_key = client.post("/api-keys", json={"name": "fuzz"}).json()["key"]
        open_upload, to_commit = (client.post("/uploads", json={}).json()["upload_id"] for _ in range(2))
    return Tenant(
        {
            "FUZZ_BEARER": headers["Authorization"].removeprefix("Bearer "),
            "FUZZ_API_KEY": api_key,
            "FUZZ_JOB_ID": job["job_id"],
            "FUZZ_OPEN_UPLOAD": open_upload,
            "FUZZ_UPLOAD_TO_COMMIT": to_commit,
        }
    )


def with_a_batch_operation_per_dataset(document: dict) -> dict:
    """The batch items are of the path's dataset, which OpenAPI cannot tie to a path value; a concrete
    path per dataset lets the fuzzer send items the server takes, and so reach the database. Each
    copy keeps the example named after its dataset; the generic operation keeps none (an example
    is of one dataset, not of any in the path) and gets invalid data only (`schemathesis.toml`)."""
    document = copy.deepcopy(document)
    generic = document["paths"][BATCH_PATH]["post"]
    examples = generic["requestBody"]["content"]["application/json"].pop("examples")
    envelope = document["components"]["schemas"]["DatasetBatch"]
    item_refs = envelope["properties"]["items"]["items"]["anyOf"]
    assert [ref["$ref"].rsplit("/", 1)[1] for ref in item_refs] == [
        "CustomerItem",
        "CreditLimitItem",
        "SerasaQueryItem",
        "OrderItem",
    ]
    for dataset, item_ref in zip(DATASETS, item_refs, strict=True):
        operation = copy.deepcopy(generic)
        operation["operationId"] = f"receive_batch_{dataset}"
        operation["parameters"] = [p for p in operation["parameters"] if p["name"] != "dataset"]
        body = copy.deepcopy(envelope)
        body["properties"]["items"]["items"] = item_ref
        operation["requestBody"]["content"]["application/json"].update(schema=body, examples={dataset: examples[dataset]})
        document["paths"][BATCH_PATH.replace("{dataset}", dataset)] = {"post": operation}
    return document


def server_tracebacks(log: str) -> str:
    """Every record of an unhandled error in the devhost log, with its traceback."""
    pattern = r"^[^\n]*unhandled error[^\n]*\n(?:(?!\d{4}-\d\d-\d\d )[^\n]*\n)*"
    return "".join(re.findall(pattern, log, re.MULTILINE)) or "(none)"


def test_schemathesis_with_every_check_and_phase_finds_nothing(devhost, tenant: Tenant, tmp_path) -> None:
    with devhost.client() as client:
        served = client.get("/openapi.json")
    assert served.status_code == 200 and served.headers["content-type"].startswith("application/json")
    fuzzed = with_a_batch_operation_per_dataset(served.json())
    operations = sum(len(item) for item in fuzzed["paths"].values())
    document = tmp_path / "openapi.json"
    document.write_text(json.dumps(fuzzed))
    command = [
        sys.executable, "-c", "from schemathesis.cli import schemathesis; schemathesis()",
        "--config-file", str(CONFIG), "--no-color",
        "run", str(document), "--url", devhost.url, "--checks", "all",
    ]
    started = time.monotonic()
    run = subprocess.run(
        command, cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO), **tenant.environment},
        capture_output=True, text=True, timeout=RUN_SECONDS, check=False,
    )
    elapsed = time.monotonic() - started
    summary = run.stdout[run.stdout.rfind("SUMMARY"):]
    assert run.returncode == 0, (
        f"{run.stdout[-20000:]}\n{run.stderr[-3000:]}\n"
        f"Server tracebacks:\n{server_tracebacks(devhost.log.read_text(errors='replace'))}"
    )
    for phase in ("Examples", "Coverage", "Fuzzing", "Stateful"):
        assert f"✅ {phase}" in summary, summary  # run, and passed: not skipped
    assert f"Tested: {operations}\n" in summary, summary  # every operation, the batch route also once per dataset
    print(f"schemathesis: {elapsed:.1f}s\n{summary}")


def test_documented_security_is_what_the_server_enforces(devhost) -> None:
    samples = {
        "upload_id": str(uuid.uuid4()),
        "job_id": str(uuid.uuid4()),
        "key_id": str(uuid.uuid4()),
        "webhook_id": str(uuid.uuid4()),
        "dataset": "orders",
        "version": "1",
        "asset": "swagger-ui.css",
        "path": "models/1",
    }
    with devhost.client() as client:
        document = client.get("/openapi.json").json()
        for path, item in document["paths"].items():
            for method, operation in item.items():
                url = path.format(**samples)
                answer = client.request(method, url, json={} if "requestBody" in operation else None)
                if operation.get("security") == []:
                    assert answer.status_code != 401, (method, path)
                else:
                    assert answer.status_code == 401, (method, path, answer.text)
                    assert answer.headers["content-type"].startswith("application/problem+json")
                    assert answer.headers["www-authenticate"].startswith("Bearer")


def test_swagger_ui_is_served_by_the_app(devhost) -> None:
    with devhost.client() as client:
        page = client.get("/docs")
        bundle = client.get("/docs/swagger-ui-bundle.js")
        css = client.get("/docs/swagger-ui.css")
        missing = client.get("/docs/swagger-editor.js")
    assert page.status_code == 200 and page.headers["content-type"] == "text/html; charset=utf-8"
    assert 'url: "/api/openapi.json"' in page.text and "/api/docs/swagger-ui-bundle.js" in page.text
    assert bundle.status_code == 200 and bundle.headers["content-type"].startswith("text/javascript")
    assert b"SwaggerUIBundle" in bundle.content and "max-age" in bundle.headers["cache-control"]
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert missing.status_code == 404 and missing.json()["status"] == 404
