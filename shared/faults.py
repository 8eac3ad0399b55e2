"""Which failures are the infrastructure's passing trouble (worth a retry) and which are not.

A full disk, a dropped database connection or an unreachable blob service may be gone in a
minute; bad data or a bug will not be. Callers retry only the first kind.
"""

from __future__ import annotations


def is_transient(exc: BaseException) -> bool:
    # Imported here: the Azure and SQLAlchemy exception modules are not needed until something failed.
    from azure.core.exceptions import ServiceRequestError, ServiceResponseError
    from sqlalchemy.exc import DBAPIError, DisconnectionError, OperationalError

    from shared.adapters.model_store import ModelStoreUnavailable

    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(
        exc, (OSError, OperationalError, DisconnectionError, ModelStoreUnavailable, ServiceRequestError, ServiceResponseError)
    )
