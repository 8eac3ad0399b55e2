"""Typed ORM models; every tenant-owned table carries `tenant_id`."""

from shared.db.models.accounts import ApiKey, Tenant, User
from shared.db.models.base import Base

__all__ = ["ApiKey", "Base", "Tenant", "User"]
