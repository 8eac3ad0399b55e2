"""Persistence: one engine per process, typed ORM models, Alembic migrations shipped in the package."""

from shared.db.engine import get_engine, reading, transaction

__all__ = ["get_engine", "reading", "transaction"]
