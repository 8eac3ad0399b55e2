"""Alembic environment: runs against the app's own engine, so migrations see the same settings."""

from alembic import context

from shared.db.engine import get_engine
from shared.db.models import Base

connection = context.config.attributes.get("connection")


def _run(conn) -> None:
    # render_as_batch: SQLite cannot ALTER most things; batch mode rebuilds tables portably.
    context.configure(connection=conn, target_metadata=Base.metadata, render_as_batch=True, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


if connection is not None:
    _run(connection)
else:
    with get_engine().connect() as conn:
        _run(conn)
        conn.commit()
