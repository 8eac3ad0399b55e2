"""Where the client finds the server and its credentials, and where `login` keeps a token."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_URL = "http://127.0.0.1:7071/api"


def config_dir() -> Path:
    """XDG: `$XDG_CONFIG_HOME/creditgate`, else `~/.config/creditgate`."""
    base = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(base) / "creditgate"


def state_dir() -> Path:
    """XDG: `$XDG_STATE_HOME/creditgate`, else `~/.local/state/creditgate` (upload progress)."""
    base = os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state"
    return Path(base) / "creditgate"


def credentials_file() -> Path:
    return config_dir() / "credentials.json"


@dataclass(frozen=True)
class Credentials:
    token: str | None = None
    api_key: str | None = None


def server_url(option: str | None) -> str:
    return (option or os.environ.get("CREDITGATE_URL") or DEFAULT_URL).rstrip("/")


def credentials(url: str) -> Credentials:
    """The environment first (CREDITGATE_API_KEY, CREDITGATE_TOKEN), then the token `login` kept for this URL."""
    if key := os.environ.get("CREDITGATE_API_KEY"):
        return Credentials(api_key=key)
    if token := os.environ.get("CREDITGATE_TOKEN"):
        return Credentials(token=token)
    try:
        stored = json.loads(credentials_file().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return Credentials()
    token = stored.get(url, {}).get("access_token") if isinstance(stored, dict) else None
    return Credentials(token=token)


def store_token(url: str, email: str, token: str) -> Path:
    """Keep the token per server URL in a file only its owner can read (0600, created so: never
    world-readable, not even for a moment)."""
    path = credentials_file()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        stored = {}
    stored[url] = {"email": email, "access_token": token}
    temporary = path.with_suffix(".tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump(stored, handle, indent=2)
    os.chmod(temporary, 0o600)
    os.replace(temporary, path)
    return path
