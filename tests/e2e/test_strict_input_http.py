"""What an outside probe sent the running service: bodies nested 10,000 deep, bodies that are not
JSON by their Content-Type, and well-signed tokens naming no company of ours. Every route that
takes a body (or a caller) is tried, from the served OpenAPI document."""

from __future__ import annotations

import uuid

import jwt
import pytest

# SQLite only: these are HTTP-layer rules (the auth lookup runs on both backends in tests/integration).
pytestmark = pytest.mark.parametrize("devhost", ["sqlite"], indirect=True)

DEEP_BODIES = {
    "arrays": b"[" * 10_000 + b"]" * 10_000,
    "objects": b'{"a":' * 10_000 + b"1" + b"}" * 10_000,
    "under a field": b'{"items": ' + b"[" * 10_000 + b"]" * 10_000 + b"}",
}


@pytest.fixture(scope="module")
def caller(devhost) -> dict[str, str]:
    return devhost.signup()


@pytest.fixture(scope="module")
def operations(devhost, caller) -> list[tuple[str, str, dict]]:
    """(method, url, operation) of every documented operation, on an open upload of the caller."""
    with devhost.client(headers=caller) as client:
        document = client.get("/openapi.json").json()
        upload_id = client.post("/uploads", json={}).json()["upload_id"]
    samples = {
        "upload_id": upload_id,
        "job_id": str(uuid.uuid4()),
        "key_id": str(uuid.uuid4()),
        "webhook_id": str(uuid.uuid4()),
        "path": "models",
        "dataset": "orders",
        "version": "1",
        "asset": "swagger-ui.css",
    }
    return [
        (method.upper(), path.format(**samples), operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
    ]


def _assert_problem(answer, status: int) -> dict:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    return answer.json()


def test_deeply_nested_json_is_a_bad_request_on_every_route_with_a_body(devhost, caller, operations) -> None:
    with_body = [(method, url) for method, url, operation in operations if "requestBody" in operation]
    assert len(with_body) >= 8  # signup, token, api-keys, uploads, batches, commit, evaluate, predictions
    with devhost.client(headers=caller) as client:
        for method, url in with_body:
            for shape, body in DEEP_BODIES.items():
                answer = client.request(method, url, content=body, headers={"Content-Type": "application/json"})
                problem = _assert_problem(answer, 400)
                assert "not valid JSON" in problem["detail"] and "recursion" in problem["detail"], (url, shape)


def test_a_body_that_is_not_application_json_is_unsupported_media_type(devhost, caller, operations) -> None:
    with_body = [(method, url) for method, url, operation in operations if "requestBody" in operation]
    with devhost.client(headers=caller) as client:
        for method, url in with_body:
            for content_type in ("text/plain", "application/x-www-form-urlencoded", None):
                headers = {"Content-Type": content_type} if content_type else {}
                answer = client.request(method, url, content=b'{"name": "x"}', headers=headers)
                assert "application/json" in _assert_problem(answer, 415)["detail"], (url, content_type)
            spelled = client.request(method, url, content=b"{}", headers={"Content-Type": "Application/JSON; charset=utf-8"})
            assert spelled.status_code not in (400, 415), (url, spelled.text)
        # No body needs no Content-Type: a commit is a bare POST.
        upload_id = client.post("/uploads").json()["upload_id"]
        committed = client.post(f"/uploads/{upload_id}/commit")
        assert committed.status_code == 202, committed.text


def _forged(devhost, real_token: str, **claims) -> dict[str, str]:
    """A token signed with the devhost's own secret (the embedded default keeps it under its data folder)."""
    secret = (devhost.log.parent / "secrets" / "jwt_secret").read_text().strip()
    issued = jwt.decode(real_token, options={"verify_signature": False})
    return {"Authorization": "Bearer " + jwt.encode({**issued, **claims}, secret, algorithm="HS256")}


@pytest.mark.parametrize("claims", [{"tid": str(uuid.uuid4())}, {"sub": str(uuid.uuid4())}, {"tid": 12345}])
def test_a_well_signed_token_naming_no_user_of_ours_is_refused_everywhere(devhost, caller, operations, claims) -> None:
    real_token = caller["Authorization"].removeprefix("Bearer ")
    forged = _forged(devhost, real_token, **claims)
    protected = [(method, url, op) for method, url, op in operations if op.get("security") != []]
    assert len(protected) >= 12
    with devhost.client(headers=forged) as client:
        for method, url, operation in protected:
            answer = client.request(method, url, json={} if "requestBody" in operation else None)
            _assert_problem(answer, 401)
            assert answer.headers["www-authenticate"].startswith("Bearer"), url
        assert client.get("/models", headers=caller).status_code == 200  # the real token still works
