"""azd postprovision hook: make the Function App's managed identity a user of the CreditGate database.

Azure SQL creates users for Entra principals only on behalf of an Entra admin, so this runs on the
deployer's machine with the deployer's own token (`azd auth login`, else `az login`): the deployer is
the server's Entra admin (infra/modules/sql.bicep). Running it again changes nothing.

Run from the repository root: `python -m infra.scripts.grant_sql_access`.
"""

from __future__ import annotations

import os
import sys

ODBC_DRIVER = "ODBC Driver 18 for SQL Server"
ROLES = ("db_datareader", "db_datawriter", "db_ddladmin")
REQUIRED = ("AZURE_SQL_SERVER", "AZURE_SQL_DATABASE", "AZURE_FUNCTION_APP_NAME")
MANUAL = "docs/deploy.md, section 'Database user for the app'"

# The user name travels as a parameter and is quoted by QUOTENAME; Python never splices it into SQL.
GRANT_SQL = "\n".join(
    [
        "SET NOCOUNT ON;",
        "DECLARE @user sysname = ?;",
        "DECLARE @sql nvarchar(max);",
        "IF DATABASE_PRINCIPAL_ID(@user) IS NULL",
        "BEGIN",
        "    SET @sql = N'CREATE USER ' + QUOTENAME(@user) + N' FROM EXTERNAL PROVIDER';",
        "    EXEC sp_executesql @sql;",
        "END",
        *(
            f"SET @sql = N'ALTER ROLE {role} ADD MEMBER ' + QUOTENAME(@user); EXEC sp_executesql @sql;"
            for role in ROLES
        ),
    ]
)


def grant(server: str, database: str, user: str, driver: str) -> None:
    import pyodbc
    from azure.identity import AzureCliCredential, AzureDeveloperCliCredential, ChainedTokenCredential

    from shared.db.azure_sql import AZURE_SQL_SCOPE, SQL_COPT_SS_ACCESS_TOKEN, token_struct

    token = ChainedTokenCredential(AzureDeveloperCliCredential(), AzureCliCredential()).get_token(
        AZURE_SQL_SCOPE
    )
    connection = pyodbc.connect(
        f"Driver={{{driver}}};Server=tcp:{server},1433;Database={database};Encrypt=yes;TrustServerCertificate=no",
        attrs_before={SQL_COPT_SS_ACCESS_TOKEN: token_struct(token.token)},
        timeout=60,
        autocommit=True,
    )
    try:
        connection.execute(GRANT_SQL, user)
    finally:
        connection.close()


def main() -> int:
    missing = [name for name in REQUIRED if not os.environ.get(name)]
    if missing:
        print(
            f"grant_sql_access: {', '.join(missing)} not set; azd sets them after provisioning "
            "(or export them from `azd env get-values`)",
            file=sys.stderr,
        )
        return 2
    server, database, user = (os.environ[name] for name in REQUIRED)
    try:
        grant(server, database, user, os.environ.get("SQL_ODBC_DRIVER") or ODBC_DRIVER)
    except Exception as exc:  # noqa: BLE001 - any failure gets the same advice: the manual steps
        print(
            f"grant_sql_access: could not add {user} to {server}/{database}: {type(exc).__name__}: {exc}\n"
            f"  Do it by hand: {MANUAL}",
            file=sys.stderr,
        )
        return 1
    print(f"grant_sql_access: {user} is a user of {database} ({', '.join(ROLES)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
