"""Modules the entrypoints use only inside their functions, imported when first used.

The Functions host imports `function_app` at every cold start, before it answers anything. The
services (SQLAlchemy and the ORM models, JWT, Argon2) and the OpenAPI document's machinery made
that import several times as long as `azure.functions` itself; now the first request that needs
them pays for them, and one that needs none of them never does.
"""

from __future__ import annotations

import importlib
from typing import Any


class LazyModule:
    """Stands for the module `name`: reading an attribute imports it, once (the import system's
    lock makes concurrent first uses wait for that one import), and reads it from the module."""

    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attribute: str) -> Any:
        return getattr(importlib.import_module(self._name), attribute)

    def __repr__(self) -> str:
        return f"<lazy module {self._name!r}>"
