"""Column types that behave the same on SQLite, PostgreSQL and SQL Server."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import DateTime, Numeric
from sqlalchemy.types import TypeDecorator

Money = Numeric(18, 2, asdecimal=True)


class UtcDateTime(TypeDecorator[datetime]):
    """Stored as naive UTC (portable DATETIME/DATETIME2/TIMESTAMP), always returned timezone-aware."""

    impl = DateTime(timezone=False)
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name != "mssql":
            return dialect.type_descriptor(DateTime())
        from sqlalchemy.dialects import mssql  # loaded with the dialect itself, only where it is used

        # SQL Server's DATETIME rounds to 1/300 s; DATETIME2 keeps the microseconds keys depend on.
        return dialect.type_descriptor(mssql.DATETIME2())

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)
