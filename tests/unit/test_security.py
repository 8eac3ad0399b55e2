import base64
import json
import uuid
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from argon2 import extract_parameters

from shared.config import get_settings
from shared.errors import AuthenticationFailed
from shared.security import (
    DUMMY_PASSWORD_HASH,
    decode_token,
    hash_password,
    issue_token,
    new_api_key,
    parse_api_key,
    same_digest,
    verify_password,
)

TENANT, USER = uuid.uuid4(), uuid.uuid4()


def test_password_hash_is_argon2id_and_verifies_only_the_right_password():
    hashed = hash_password("correct horse battery")
    assert hashed.startswith("$argon2id$")
    assert "correct horse battery" not in hashed
    assert verify_password(hashed, "correct horse battery")
    assert not verify_password(hashed, "correct horse batterY")
    assert not verify_password("not-a-hash", "correct horse battery")


def test_the_unknown_email_hash_costs_what_a_real_one_does_and_verifies_nothing():
    """Same algorithm and parameters as a new hash, so verifying it takes the same time."""
    assert extract_parameters(DUMMY_PASSWORD_HASH) == extract_parameters(hash_password("any password"))
    assert not verify_password(DUMMY_PASSWORD_HASH, "")
    assert not verify_password(DUMMY_PASSWORD_HASH, "correct horse battery")


def test_a_fresh_token_decodes_to_its_tenant_and_user():
    settings = get_settings()
    principal = decode_token(settings, issue_token(settings, TENANT, USER))
    assert (principal.tenant_id, principal.user_id) == (TENANT, USER)


def _claims(**overrides):
    settings = get_settings()
    now = datetime.now(UTC)
    claims = {
        "sub": str(USER), "tid": str(TENANT), "iss": settings.jwt_issuer, "aud": settings.jwt_audience,
        "iat": now, "exp": now + timedelta(minutes=5),
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data, default=str).encode()).rstrip(b"=").decode()


def _bad_tokens():
    settings = get_settings()
    secret = settings.secret("jwt_secret")
    now = datetime.now(UTC)
    good = jwt.encode(_claims(), secret, algorithm="HS256")
    header, payload, signature = good.split(".")
    unsigned_claims = {**_claims(), "iat": int(now.timestamp()), "exp": int((now + timedelta(minutes=5)).timestamp())}
    return {
        "alg none": f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(unsigned_claims)}.",
        "tampered payload": f"{header}.{_b64({**unsigned_claims, 'tid': str(uuid.uuid4())})}.{signature}",
        "wrong secret": jwt.encode(_claims(), b"x" * 32, algorithm="HS256"),
        "expired": jwt.encode(_claims(exp=now - timedelta(seconds=1), iat=now - timedelta(hours=1)), secret, algorithm="HS256"),
        "wrong audience": jwt.encode(_claims(aud="someone-else"), secret, algorithm="HS256"),
        "wrong issuer": jwt.encode(_claims(iss="someone-else"), secret, algorithm="HS256"),
        "no tenant claim": jwt.encode(_claims(tid=None), secret, algorithm="HS256"),
        "integer tenant claim": jwt.encode(_claims(tid=12345), secret, algorithm="HS256"),
        "integer subject claim": jwt.encode(_claims(sub=12345), secret, algorithm="HS256"),
        "HS512 instead of pinned HS256": jwt.encode(_claims(), secret, algorithm="HS512"),
        "garbage": "not.a.token",
    }


@pytest.mark.parametrize("case", [
    "alg none", "tampered payload", "wrong secret", "expired", "wrong audience", "wrong issuer",
    "no tenant claim", "integer tenant claim", "integer subject claim", "HS512 instead of pinned HS256", "garbage",
])
def test_bad_tokens_are_refused(case):
    token = _bad_tokens()[case]
    with pytest.raises(AuthenticationFailed):
        decode_token(get_settings(), token)


def test_api_key_carries_32_random_bytes_and_only_its_hash_is_kept():
    key = new_api_key()
    key_id, digest = parse_api_key(key.plaintext)
    assert key_id == key.key_id
    assert same_digest(key.secret_sha256, digest)
    assert key.secret_sha256 not in key.plaintext
    secret_part = key.plaintext.split("_", 2)[2]
    assert len(base64.urlsafe_b64decode(secret_part + "=" * (-len(secret_part) % 4))) == 32
    assert new_api_key().plaintext != key.plaintext


@pytest.mark.parametrize("bad", ["", "cgk_", "xyz_00_abc", f"cgk_{uuid.uuid4().hex}_short", "cgk_nothex_" + "A" * 43])
def test_malformed_api_keys_are_refused(bad):
    with pytest.raises(AuthenticationFailed):
        parse_api_key(bad)


def test_an_altered_api_key_secret_does_not_match():
    key = new_api_key()
    altered = key.plaintext[:-2] + ("AA" if not key.plaintext.endswith("AA") else "BB")
    _, digest = parse_api_key(altered)
    assert not same_digest(key.secret_sha256, digest)
