"""Passwordless Azure SQL: an Entra ID access token handed to the ODBC driver on every connect.

The token comes from `DefaultAzureCredential` (managed identity in Azure, `az login` locally) and
is passed as SQL_COPT_SS_ACCESS_TOKEN, the documented way for pyodbc + ODBC Driver 18.
"""

from __future__ import annotations

import struct

from sqlalchemy import Engine, event
from sqlalchemy.engine import URL

SQL_COPT_SS_ACCESS_TOKEN = 1256
AZURE_SQL_SCOPE = "https://database.windows.net/.default"


def token_struct(token: str) -> bytes:
    """The ODBC driver wants the token as UTF-16-LE bytes prefixed by their 4-byte length."""
    encoded = token.encode("utf-16-le")
    return struct.pack(f"<I{len(encoded)}s", len(encoded), encoded)


def wants_entra_token(url: URL) -> bool:
    """No password and no `Authentication=` keyword: the identity signs in, not a SQL login."""
    return url.get_backend_name() == "mssql" and not url.password and "authentication" not in {k.lower() for k in url.query}


def use_entra_tokens(engine: Engine) -> None:
    from azure.identity import DefaultAzureCredential

    credential = DefaultAzureCredential()

    @event.listens_for(engine, "do_connect")
    def _with_token(dialect, connection_record, cargs, cparams) -> None:
        token = credential.get_token(AZURE_SQL_SCOPE).token  # cached and refreshed by azure-identity
        cparams.setdefault("attrs_before", {})[SQL_COPT_SS_ACCESS_TOKEN] = token_struct(token)
