"""Passwords (Argon2id), access tokens (HS256 JWT) and API keys (random, stored as SHA-256)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from shared.config import Settings
from shared.errors import AuthenticationFailed

_hasher = PasswordHasher()  # argon2-cffi defaults: Argon2id, RFC 9106 low-memory profile
_JWT_ALGORITHM = "HS256"
_API_KEY_PREFIX = "cgk"


@dataclass(frozen=True)
class Principal:
    """Who is calling: a user (JWT) or an API key, always within one tenant."""

    tenant_id: uuid.UUID
    user_id: uuid.UUID | None = None
    api_key_id: uuid.UUID | None = None


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


# Verified against when the email is unknown, so a miss costs the same time as a wrong password:
# the hash of a random password nobody kept, with `_hasher`'s parameters (tests check they still
# match: verifying costs what the parameters say). A constant, since hashing at import took a
# tenth of a second of every cold start.
DUMMY_PASSWORD_HASH = (
    "$argon2id$v=19$m=65536,t=3,p=4$QKgjQq4L+P1Y9Y1AY8sCTQ$DY/Z1SRA45SJhTFpTIGXWG3IiCIakxJz9PkVs2E8au0"
)


def issue_token(settings: Settings, tenant_id: uuid.UUID, user_id: uuid.UUID) -> str:
    now = datetime.now(UTC)
    claims = {
        "sub": str(user_id),
        "tid": str(tenant_id),
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": now,
        "exp": now + timedelta(seconds=settings.jwt_ttl_seconds),
    }
    return jwt.encode(claims, settings.secret("jwt_secret"), algorithm=_JWT_ALGORITHM)


def decode_token(settings: Settings, token: str) -> Principal:
    try:
        claims = jwt.decode(
            token,
            settings.secret("jwt_secret"),
            algorithms=[_JWT_ALGORITHM],  # pinned: "none" and algorithm confusion are refused
            audience=settings.jwt_audience,
            issuer=settings.jwt_issuer,
            options={"require": ["exp", "iat", "iss", "aud", "sub", "tid"]},
        )
        if not isinstance(claims["tid"], str):  # PyJWT checks `sub` is a string, not our own claim
            raise ValueError("tid must be a string")
        return Principal(tenant_id=uuid.UUID(claims["tid"]), user_id=uuid.UUID(claims["sub"]))
    except (jwt.InvalidTokenError, ValueError, TypeError):
        raise AuthenticationFailed("The access token is invalid or expired.") from None


@dataclass(frozen=True)
class NewApiKey:
    key_id: uuid.UUID
    plaintext: str
    secret_sha256: str


def _sha256(secret: bytes) -> str:
    return hashlib.sha256(secret).hexdigest()


def new_api_key() -> NewApiKey:
    """`cgk_<key id>_<32 random bytes, base64url>`; the id finds the row, the secret proves possession."""
    key_id = uuid.uuid4()
    secret = secrets.token_bytes(32)
    encoded = base64.urlsafe_b64encode(secret).rstrip(b"=").decode()
    return NewApiKey(key_id, f"{_API_KEY_PREFIX}_{key_id.hex}_{encoded}", _sha256(secret))


def parse_api_key(plaintext: str) -> tuple[uuid.UUID, str]:
    """The key id and the SHA-256 of the secret part; AuthenticationFailed if malformed."""
    try:
        prefix, key_id, encoded = plaintext.split("_", 2)
        if prefix != _API_KEY_PREFIX:
            raise ValueError
        secret = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        if len(secret) != 32:
            raise ValueError
        return uuid.UUID(hex=key_id), _sha256(secret)
    except ValueError:
        raise AuthenticationFailed("The API key is invalid.") from None


def same_digest(stored: str, presented: str) -> bool:
    return hmac.compare_digest(stored.encode(), presented.encode())
