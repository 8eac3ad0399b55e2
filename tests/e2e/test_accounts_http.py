"""Accounts and HTTP conventions over real HTTP through the devhost."""

import uuid

PASSWORD = "uma senha bem longa"


def test_health_reports_database_and_model_store(devhost):
    with devhost.client() as client:
        answer = client.get("/health")
    assert answer.status_code == 200
    assert answer.json() == {"status": "ok", "database": "ok", "model_store": "ok"}


def test_signup_token_key_use_revoke(devhost):
    email = f"ana-{uuid.uuid4().hex[:8]}@exemplo.com.br"
    with devhost.client() as client:
        signup = client.post("/signup", json={"company": "Exemplo", "email": email, "password": PASSWORD})
        assert signup.status_code == 201
        assert signup.json()["token_type"] == "Bearer" and signup.json()["expires_in"] > 0

        token = client.post("/token", json={"email": email.upper(), "password": PASSWORD})
        assert token.status_code == 200
        bearer = {"Authorization": f"Bearer {token.json()['access_token']}"}

        created = client.post("/api-keys", json={"name": "erp"}, headers=bearer)
        assert created.status_code == 201
        key = created.json()["key"]

        listed = client.get("/api-keys", headers={"X-API-Key": key})
        assert listed.status_code == 200
        assert [item["id"] for item in listed.json()["items"]] == [created.json()["id"]]
        assert key not in listed.text

        assert client.delete(f"/api-keys/{created.json()['id']}", headers=bearer).status_code == 204
        refused = client.get("/api-keys", headers={"X-API-Key": key})
        assert refused.status_code == 401
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert refused.headers["www-authenticate"].startswith("Bearer")


def test_duplicate_email_conflicts_and_short_password_names_the_field(devhost):
    email = f"dup-{uuid.uuid4().hex[:8]}@exemplo.com.br"
    with devhost.client() as client:
        assert client.post("/signup", json={"company": "A", "email": email, "password": PASSWORD}).status_code == 201
        duplicate = client.post("/signup", json={"company": "B", "email": email, "password": PASSWORD})
        assert duplicate.status_code == 409 and duplicate.json()["status"] == 409
        short = client.post("/signup", json={"company": "C", "email": f"x{email}", "password": "curta"})
        assert short.status_code == 422
        assert [error["loc"] for error in short.json()["errors"]] == [["password"]]
        assert "curta" not in short.text


def test_http_conventions(devhost):
    with devhost.client() as client:
        not_json = client.post("/signup", content=b"{nope", headers={"Content-Type": "application/json"})
        assert not_json.status_code == 400 and not_json.json()["title"] == "Bad Request"

        huge = client.post("/token", content=b'{"email": "' + b"a" * (5 * 1024 * 1024 + 10) + b'"}')
        assert huge.status_code == 413

        anonymous = client.get("/api-keys")
        assert anonymous.status_code == 401 and "www-authenticate" in anonymous.headers

        forged = client.get("/api-keys", headers={"Authorization": "Bearer not.a.jwt"})
        assert forged.status_code == 401

        traced = client.get("/health", headers={"X-Request-Id": "trace-123"})
        assert traced.headers["x-request-id"] == "trace-123"
        assert len(client.get("/health").headers["x-request-id"]) == 32

        missing = client.get("/no-such-route")
        assert missing.status_code == 404 and missing.headers["content-type"].startswith("application/problem+json")
    assert "trace-123" in devhost.log.read_text(), "the request id reaches the log lines"
