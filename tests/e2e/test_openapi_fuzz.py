"""The served OpenAPI document against the running app: Schemathesis generates requests for every
operation (valid and invalid ones, on random ids and on real resources of a tenant with a trained
model); the API must never answer 5xx, and every answer must be one the document declares. Also:
the documented security is what the server enforces, and Swagger UI is served from the app."""

from __future__ import annotations

import copy
import re
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup

from shared.demo import upload_sample, wait_for_job
from shared.sample_data import generate

# SQLite only: the PostgreSQL run would double the time for the same document and handlers.
pytestmark = pytest.mark.parametrize("devhost", ["sqlite"], indirect=True)

BATCH_PATH = "/uploads/{upload_id}/{dataset}"
DATASETS = ("customers", "credit_limits", "serasa_queries", "orders")
CHECKS = [
    not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_schema_conformance,
]
EXAMPLES = {GenerationMode.POSITIVE: 12, GenerationMode.NEGATIVE: 6}
EXAMPLES_ON_REAL_RESOURCES = 25  # valid requests that reach the database and the model
FUZZ_SETTINGS = settings(
    deadline=None,
    database=None,
    derandomize=True,  # the same generated requests on every run: no flaky CI
    phases=[Phase.generate],  # no shrinking: every failing request is reported as it was sent
    suppress_health_check=list(HealthCheck),
)


@dataclass
class Tenant:
    headers: dict[str, str]
    real: dict[str, dict[str, Any]]  # per operationId: path parameters naming this tenant's resources


@pytest.fixture(scope="module")
def tenant(devhost) -> Tenant:
    """A company with a trained model, an API key, an open upload and one to commit."""
    headers = devhost.signup()
    with devhost.client(headers=headers) as client:
        commit = upload_sample(client, generate(orders=250, seed=5, days=180))
        job = wait_for_job(client, commit["training_job_id"], timeout=120)
        assert job["status"] == "succeeded", job
        key_id = client.post("/api-keys", json={"name": "fuzz"}).json()["id"]
        open_upload, to_commit = (client.post("/uploads", json={}).json()["upload_id"] for _ in range(2))
    version = {"version": job["model_version"]}
    real = {
        "revoke_api_key": {"key_id": key_id},
        "upload_status": {"upload_id": open_upload},
        "commit_upload": {"upload_id": to_commit},
        "training_job_status": {"job_id": job["job_id"]},
        "get_model": version,
        "activate_model": version,
        "evaluate_model": version,
        "model_report": version,
    }
    return Tenant(headers, real | {f"receive_batch_{name}": {"upload_id": open_upload} for name in DATASETS})


def with_a_batch_operation_per_dataset(document: dict) -> dict:
    """The batch items are of the path's dataset, which OpenAPI cannot tie to a path value; a concrete
    path per dataset lets the fuzzer send items the server takes, and so reach the database."""
    document = copy.deepcopy(document)
    generic = document["paths"][BATCH_PATH]["post"]
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
        operation["requestBody"]["content"]["application/json"]["schema"] = body
        document["paths"][BATCH_PATH.replace("{dataset}", dataset)] = {"post": operation}
    return document


def server_traceback(log: str, request_id: str) -> str:
    """The log record of the request and its traceback: every line up to the next timestamped one."""
    pattern = rf"^[^\n]*\[{re.escape(request_id)}\][^\n]*\n(?:(?!\d{{4}}-\d\d-\d\d )[^\n]*\n)*"
    found = re.search(pattern, log, re.MULTILINE)
    return found.group(0) if found else f"(request {request_id}: no record in the devhost log)\n"


def test_every_operation_answers_as_documented_and_never_5xx(devhost, tenant: Tenant) -> None:
    with devhost.client() as client:
        served = client.get("/openapi.json")
    assert served.status_code == 200 and served.headers["content-type"].startswith("application/json")
    schema = schemathesis.openapi.from_dict(with_a_batch_operation_per_dataset(served.json()))
    schema.config.update(base_url=devhost.url)
    failures: list[str] = []
    server_errors: list[str] = []
    statuses: defaultdict[str, Counter[int]] = defaultdict(Counter)
    started = time.monotonic()

    def fuzz(operation, mode: GenerationMode, path_values: dict[str, Any] | None = None) -> None:
        @settings(FUZZ_SETTINGS, max_examples=EXAMPLES_ON_REAL_RESOURCES if path_values else EXAMPLES[mode])
        @given(case=operation.as_strategy(generation_mode=mode, path_parameters=path_values))
        def run(case) -> None:
            response = case.call(headers=tenant.headers, timeout=60)
            statuses[operation.label][response.status_code] += 1
            if response.status_code >= 500:
                server_errors.append((response.headers.get("x-request-id") or ["-"])[0])
            try:
                case.validate_response(response, checks=CHECKS, headers=tenant.headers)
            except FailureGroup as exc:
                failures.append(f"{operation.label} ({mode.value}):\n{exc}")

        run()

    operations = [result.ok() for result in schema.get_all_operations()]
    for operation in operations:
        definition = operation.definition.raw
        for mode in EXAMPLES:
            if mode is GenerationMode.POSITIVE or "parameters" in definition or "requestBody" in definition:
                fuzz(operation, mode)
        if real := tenant.real.get(definition["operationId"]):
            fuzz(operation, GenerationMode.POSITIVE, real)
    elapsed = time.monotonic() - started

    log = devhost.log.read_text(errors="replace")
    tracebacks = "\n".join(server_traceback(log, request_id) for request_id in dict.fromkeys(server_errors))
    assert not failures, "\n\n".join(failures[:12]) + f"\n\nServer tracebacks:\n{tracebacks}"
    assert set(statuses) == {operation.label for operation in operations}
    counts = {label: dict(sorted(counter.items())) for label, counter in statuses.items()}
    print(f"fuzz: {sum(c.total() for c in statuses.values())} requests in {elapsed:.1f}s; statuses: {counts}")


def test_documented_security_is_what_the_server_enforces(devhost) -> None:
    samples = {
        "upload_id": str(uuid.uuid4()),
        "job_id": str(uuid.uuid4()),
        "key_id": str(uuid.uuid4()),
        "dataset": "orders",
        "version": "1",
        "asset": "swagger-ui.css",
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
