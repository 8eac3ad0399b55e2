"""Helpers for fixtures that need real services: free ports, and skip-or-fail when one is missing."""

from __future__ import annotations

import os
import socket

import pytest


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def unavailable(reason: str) -> None:
    """Skip locally; under CI=true a missing service is a failure, never a silent skip."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"required service unavailable under CI: {reason}")
    pytest.skip(reason)
