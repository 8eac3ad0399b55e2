import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from shared.config import get_settings
from shared.errors import AuthenticationFailed, Conflict, NotFound
from shared.schemas.accounts import SignupRequest, TokenRequest
from shared.security import Principal, decode_token, issue_token
from shared.services import accounts

PASSWORD = "a long enough password"
CLIENT = "198.51.100.7"


def _signup(email: str | None = None):
    email = email or f"{uuid.uuid4().hex[:8]}@example.com.br"
    return accounts.signup(get_settings(), SignupRequest(company="ACME Ltda", email=email, password=PASSWORD), CLIENT)


def test_signup_creates_a_tenant_whose_token_names_it(database):
    created = _signup()
    principal = decode_token(get_settings(), created.access_token)
    assert principal.tenant_id == created.tenant_id and principal.user_id == created.user_id


def test_email_is_unique_regardless_of_case(database):
    created = _signup("Maria@Example.com")
    with pytest.raises(Conflict):
        _signup("maria@example.com")
    token = accounts.token(get_settings(), TokenRequest(email="MARIA@example.com", password=PASSWORD), CLIENT)
    assert decode_token(get_settings(), token.access_token).tenant_id == created.tenant_id


def test_concurrent_signups_with_one_email_create_one_account(database):
    email = f"race-{uuid.uuid4().hex[:6]}@example.com"

    def attempt(_):
        try:
            return _signup(email).tenant_id
        except Conflict:
            return None

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(attempt, range(4)))
    assert sum(result is not None for result in results) == 1


def test_wrong_password_and_unknown_email_are_refused_alike(database):
    _signup("joao@example.com")
    for email, password in (("joao@example.com", "wrong password!!"), ("nobody@example.com", PASSWORD)):
        with pytest.raises(AuthenticationFailed) as raised:
            accounts.token(get_settings(), TokenRequest(email=email, password=password), CLIENT)
        assert str(raised.value) == "Email or password is wrong."


def test_api_keys_authenticate_until_revoked_and_stay_within_their_tenant(database):
    settings = get_settings()
    owner = Principal(tenant_id=_signup().tenant_id)
    stranger = Principal(tenant_id=_signup().tenant_id)
    created = accounts.create_api_key(owner, "erp webhook")

    assert accounts.authenticate(settings, bearer=None, api_key=created.key).tenant_id == owner.tenant_id
    listed = accounts.list_api_keys(owner).items
    assert [key.id for key in listed] == [created.id]
    assert created.key not in listed[0].model_dump_json()
    assert accounts.list_api_keys(stranger).items == []

    with pytest.raises(NotFound):
        accounts.revoke_api_key(stranger, created.id)
    accounts.authenticate(settings, bearer=None, api_key=created.key)  # still valid

    accounts.revoke_api_key(owner, created.id)
    with pytest.raises(AuthenticationFailed):
        accounts.authenticate(settings, bearer=None, api_key=created.key)
    assert accounts.list_api_keys(owner).items[0].revoked_at is not None


def test_a_key_with_a_forged_secret_is_refused(database):
    owner = Principal(tenant_id=_signup().tenant_id)
    created = accounts.create_api_key(owner, "k")
    forged = created.key[: created.key.rindex("_") + 1] + "B" * 43
    with pytest.raises(AuthenticationFailed):
        accounts.authenticate(get_settings(), bearer=None, api_key=forged)


def test_a_well_signed_token_naming_no_existing_user_of_its_tenant_is_refused(database):
    settings = get_settings()
    real = _signup()
    assert accounts.authenticate(settings, bearer=real.access_token, api_key=None).tenant_id == real.tenant_id
    other = _signup()
    for tenant_id, user_id in [
        (uuid.uuid4(), real.user_id),  # a tenant that does not exist
        (other.tenant_id, real.user_id),  # a user of another tenant
        (real.tenant_id, uuid.uuid4()),  # a user that does not exist
    ]:
        with pytest.raises(AuthenticationFailed):
            accounts.authenticate(settings, bearer=issue_token(settings, tenant_id, user_id), api_key=None)
