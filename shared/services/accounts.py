"""Sign-up, sign-in and API keys: the use cases behind the accounts routes."""

from __future__ import annotations

import uuid

from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError

from shared.config import Settings
from shared.db import reading, transaction
from shared.db.models import ApiKey, Tenant, User
from shared.db.types import utcnow
from shared.errors import AuthenticationFailed, Conflict, NotFound
from shared.schemas.accounts import (
    ApiKeyCreated,
    ApiKeyInfo,
    ApiKeyList,
    SignupRequest,
    SignupResponse,
    TokenRequest,
    TokenResponse,
)
from shared.security import (
    DUMMY_PASSWORD_HASH,
    Principal,
    decode_token,
    hash_password,
    issue_token,
    new_api_key,
    parse_api_key,
    same_digest,
    verify_password,
)
from shared.services import signin_limits


def signup(settings: Settings, request: SignupRequest, client_address: str) -> SignupResponse:
    email = request.email.lower()
    caller = signin_limits.admit(settings, email, client_address)
    with signin_limits.password_hashing():
        password_hash = hash_password(request.password)  # slow on purpose: outside the transaction
    try:
        tenant_id, user_id = _create_account(request.company, email, password_hash)
    except Conflict:
        signin_limits.record_failure(settings, caller)
        raise
    return SignupResponse(
        tenant_id=tenant_id,
        user_id=user_id,
        access_token=issue_token(settings, tenant_id, user_id),
        expires_in=settings.jwt_ttl_seconds,
    )


def _create_account(company: str, email: str, password_hash: str) -> tuple[uuid.UUID, uuid.UUID]:
    try:
        with transaction() as session:
            if session.scalar(select(User.id).where(User.email == email)) is not None:
                raise Conflict("An account with this email already exists.")
            tenant_id, user_id = uuid.uuid4(), uuid.uuid4()
            session.add(Tenant(id=tenant_id, company=company))
            session.flush()
            session.add(User(id=user_id, tenant_id=tenant_id, email=email, password_hash=password_hash))
    except IntegrityError:  # a concurrent signup won the race for the unique email
        raise Conflict("An account with this email already exists.") from None
    return tenant_id, user_id


def token(settings: Settings, request: TokenRequest, client_address: str) -> TokenResponse:
    email = request.email.lower()
    caller = signin_limits.admit(settings, email, client_address)
    with transaction() as session:
        user = session.scalars(select(User).where(User.email == email)).one_or_none()
    with signin_limits.password_hashing():
        valid = verify_password(user.password_hash if user else DUMMY_PASSWORD_HASH, request.password)
    if user is None or not valid:
        signin_limits.record_failure(settings, caller)
        raise AuthenticationFailed("Email or password is wrong.")
    return TokenResponse(
        access_token=issue_token(settings, user.tenant_id, user.id), expires_in=settings.jwt_ttl_seconds
    )


_API_KEY = select(ApiKey.tenant_id, ApiKey.revoked_at, ApiKey.secret_sha256).where(ApiKey.id == bindparam("key_id"))
_USER = select(User.id).where(User.id == bindparam("user_id"), User.tenant_id == bindparam("tenant_id"))


def authenticate(settings: Settings, *, bearer: str | None, api_key: str | None) -> Principal:
    if bearer:
        principal = decode_token(settings, bearer)
        # A valid signature is not enough: the token must name a user of its tenant that exists
        # (one primary-key lookup), or a forged or stale tenant id reaches the use cases.
        with reading() as connection:
            ids = {"user_id": principal.user_id, "tenant_id": principal.tenant_id}
            known = connection.execute(_USER, ids).first()
        if known is None:
            raise AuthenticationFailed("The access token is invalid or expired.")
        return principal
    if api_key:
        key_id, digest = parse_api_key(api_key)
        with reading() as connection:  # an ERP's every call: never queued behind an upload's writes
            key = connection.execute(_API_KEY, {"key_id": key_id}).one_or_none()
        if key is None or key.revoked_at is not None or not same_digest(key.secret_sha256, digest):
            raise AuthenticationFailed("The API key is invalid or revoked.")
        return Principal(tenant_id=key.tenant_id, api_key_id=key_id)
    raise AuthenticationFailed("Send a bearer token or an X-API-Key header.")


def create_api_key(principal: Principal, name: str) -> ApiKeyCreated:
    new = new_api_key()
    with transaction() as session:
        key = ApiKey(id=new.key_id, tenant_id=principal.tenant_id, name=name, secret_sha256=new.secret_sha256)
        session.add(key)
        session.flush()
        return ApiKeyCreated(id=key.id, name=key.name, created_at=key.created_at, key=new.plaintext)


def list_api_keys(principal: Principal) -> ApiKeyList:
    with transaction() as session:
        keys = session.scalars(
            select(ApiKey).where(ApiKey.tenant_id == principal.tenant_id).order_by(ApiKey.created_at)
        ).all()
        return ApiKeyList(items=[ApiKeyInfo.model_validate(key, from_attributes=True) for key in keys])


def revoke_api_key(principal: Principal, key_id: uuid.UUID) -> None:
    with transaction() as session:
        key = session.scalars(
            select(ApiKey).where(ApiKey.id == key_id, ApiKey.tenant_id == principal.tenant_id)
        ).one_or_none()
        if key is None:
            raise NotFound("No such API key.")
        if key.revoked_at is None:
            key.revoked_at = utcnow()
