"""Sign-in limits (DESIGN §4, §7): per-email failures and per-address attempts, counted in the
database so every instance obeys them, refused with a Retry-After."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select

from shared.config import Settings, get_settings
from shared.db import transaction
from shared.db.models import SigninCounter, User
from shared.errors import AuthenticationFailed, Conflict, TooManyRequests
from shared.schemas.accounts import SignupRequest, TokenRequest
from shared.services import accounts, signin_limits

REPO = Path(__file__).resolve().parents[2]
PASSWORD = "a long enough password"
WRONG = "not the password!"
ADDRESS = "203.0.113.10"
WINDOW = 3600
FAILURES_PER_EMAIL = 5


def _limits(monkeypatch, window: int = WINDOW, **limits: int) -> Settings:
    """These limits, in a window with time left for the test (counts restart when a window ends)."""
    values = {"SIGNIN_WINDOW_SECONDS": window, "SIGNIN_MAX_FAILURES_PER_EMAIL": FAILURES_PER_EMAIL} | limits
    for name, value in values.items():
        monkeypatch.setenv(name, str(value))
    get_settings.cache_clear()
    left = window - time.time() % window
    if left < min(window * 0.75, 30):
        time.sleep(left + 0.05)
    return get_settings()


def _email() -> str:
    return f"{uuid.uuid4().hex[:10]}@example.com.br"


def _signup(email: str, address: str = ADDRESS):
    request = SignupRequest(company="ACME Ltda", email=email, password=PASSWORD)
    return accounts.signup(get_settings(), request, address)


def _sign_in(email: str, password: str, address: str = ADDRESS) -> int:
    """The HTTP status the attempt would answer."""
    try:
        accounts.token(get_settings(), TokenRequest(email=email, password=password), address)
    except AuthenticationFailed:
        return 401
    except TooManyRequests as exc:
        assert 1 <= exc.retry_after <= get_settings().signin_window_seconds
        return 429
    return 200


def test_thirty_wrong_passwords_turn_into_429_once_the_email_is_over_its_limit(database, monkeypatch):
    _limits(monkeypatch)
    email = _email()
    _signup(email)
    assert [_sign_in(email, WRONG) for _ in range(30)] == [401] * FAILURES_PER_EMAIL + [429] * 25
    # Until the window ends, the right password is refused as well, from any address.
    assert _sign_in(email.upper(), PASSWORD, "192.0.2.80") == 429
    assert _sign_in(_email(), WRONG) == 401  # other emails from the same address are not


def test_an_address_is_limited_across_emails_and_signups(database, monkeypatch):
    _limits(monkeypatch, SIGNIN_MAX_ATTEMPTS_PER_ADDRESS=6)
    assert [_sign_in(_email(), WRONG) for _ in range(8)] == [401] * 6 + [429] * 2
    with pytest.raises(TooManyRequests):
        _signup(_email())
    assert _sign_in(_email(), WRONG, "[2001:db8::7]:4431") == 401


def test_a_signup_flood_is_limited_and_a_refused_signup_creates_nothing(database, monkeypatch):
    _limits(monkeypatch, SIGNIN_MAX_ATTEMPTS_PER_ADDRESS=3)
    for _ in range(3):
        _signup(_email())
    refused = _email()
    with pytest.raises(TooManyRequests) as raised:
        _signup(refused)
    assert 1 <= raised.value.retry_after <= WINDOW
    with transaction() as session:
        assert session.scalar(select(User.id).where(User.email == refused)) is None


def test_signing_up_with_a_taken_email_counts_as_its_failure(database, monkeypatch):
    _limits(monkeypatch)
    email = _email()
    _signup(email)
    for number in range(FAILURES_PER_EMAIL):
        with pytest.raises(Conflict):
            _signup(email, f"192.0.2.{number}")
    with pytest.raises(TooManyRequests):
        _signup(email, "192.0.2.99")


def test_counts_are_stored_hashed_and_another_process_obeys_them(database, monkeypatch, tmp_path):
    settings = _limits(monkeypatch)
    email = _email()
    _signup(email)
    assert [_sign_in(email, WRONG) for _ in range(FAILURES_PER_EMAIL)] == [401] * FAILURES_PER_EMAIL

    keys = signin_limits.caller_of(settings, email, ADDRESS)
    engine = create_engine(settings.sqlalchemy_url)  # another engine than the app's
    try:
        with engine.connect() as connection:
            columns = (SigninCounter.scope, SigninCounter.key_hmac, SigninCounter.hits)
            rows = connection.execute(select(*columns)).all()
    finally:
        engine.dispose()
    counts = {(scope, key): hits for scope, key, hits in rows}
    assert counts[("email", keys.email)] == FAILURES_PER_EMAIL
    assert counts[("address", keys.address)] == 1 + FAILURES_PER_EMAIL  # the signup and each attempt
    assert not any(email in key or ADDRESS in key for _, key, _ in rows)

    # A second instance: its own process, engine and memory, on the same database and settings.
    script = (
        "from shared.config import get_settings\n"
        "from shared.errors import TooManyRequests\n"
        "from shared.schemas.accounts import TokenRequest\n"
        "from shared.services import accounts\n"
        "try:\n"
        f"    request = TokenRequest(email={email!r}, password={PASSWORD!r})\n"
        "    accounts.token(get_settings(), request, '192.0.2.50')\n"
        "    print(200)\n"
        "except TooManyRequests as exc:\n"
        "    print(429, exc.retry_after)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    other = subprocess.run(
        [sys.executable, "-c", script], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert other.returncode == 0, other.stderr
    status, retry_after = other.stdout.split()
    assert status == "429" and 1 <= int(retry_after) <= WINDOW


def test_after_the_window_the_caller_is_let_in_and_ended_windows_are_purged(database, monkeypatch):
    email = _email()
    _signup(email)
    _limits(monkeypatch, window=3, SIGNIN_MAX_FAILURES_PER_EMAIL=2)
    assert [_sign_in(email, WRONG) for _ in range(2)] == [401, 401]
    with pytest.raises(TooManyRequests) as raised:
        accounts.token(get_settings(), TokenRequest(email=email, password=PASSWORD), ADDRESS)
    assert 1 <= raised.value.retry_after <= 3

    time.sleep(raised.value.retry_after)
    assert _sign_in(email, PASSWORD) == 200
    with transaction() as session:
        starts = set(session.scalars(select(SigninCounter.window_start)))
    assert len(starts) == 1 and time.time() - 3 < starts.pop() <= time.time()


def test_concurrent_attempts_are_each_counted_once(database, monkeypatch):
    settings = _limits(monkeypatch, SIGNIN_MAX_ATTEMPTS_PER_ADDRESS=1000)
    address = "192.0.2.200"
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda _: signin_limits.admit(settings, _email(), address), range(40)))
    keys = signin_limits.caller_of(settings, "anyone@example.com", address)
    with transaction() as session:
        hits = session.scalars(select(SigninCounter.hits).where(SigninCounter.key_hmac == keys.address)).all()
    assert hits == [40]
