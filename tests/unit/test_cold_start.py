"""What `import function_app` (every cold start) must leave for the first request that needs it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
# The ML stack, the database layer (and so any SQL dialect), the services, password hashing and
# tokens, and the OpenAPI document's machinery: each only when a request needs it.
NOT_AT_IMPORT = [
    "numpy", "pandas", "scipy", "sklearn",
    "sqlalchemy", "sqlalchemy.dialects.mssql", "shared.db", "shared.services", "shared.config",
    "argon2", "jwt", "cryptography", "shared.security", "email_validator",
    "shared.openapi",
]


def _modules_after(statement: str) -> set[str]:
    child = subprocess.run(
        [sys.executable, "-c", f"import json, sys; {statement}; print(json.dumps(sorted(sys.modules)))"],
        cwd=REPO, capture_output=True, text=True, check=True,
    )
    return set(json.loads(child.stdout))


def test_importing_the_function_app_leaves_the_heavy_modules_for_later():
    loaded = _modules_after("import function_app")
    assert "functions.accounts" in loaded and "azure.functions" in loaded
    assert sorted(name for name in NOT_AT_IMPORT if name in loaded) == []


def test_a_route_module_imports_its_services_when_a_request_first_needs_them():
    loaded = _modules_after("import function_app; from functions import accounts; accounts.accounts.signup")
    assert {"shared.services.accounts", "sqlalchemy", "argon2"} <= loaded
