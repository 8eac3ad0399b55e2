"""Alembic environment: runs against the app's own engine, so migrations see the same settings.

Offline mode (`upgrade(sql=True)`) prints the DDL for DATABASE_URL's dialect without connecting,
which is how the SQL Server schema is checked and how a DBA can review it.
"""

from alembic import context

from shared.config import get_settings
from shared.db.engine import get_engine
from shared.db.models import Base

# render_as_batch: SQLite cannot ALTER most things; batch mode rebuilds tables portably.
OPTIONS = {"target_metadata": Base.metadata, "render_as_batch": True, "compare_type": True}


def _run(connection) -> None:
    context.configure(connection=connection, **OPTIONS)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    context.configure(url=get_settings().sqlalchemy_url, literal_binds=True, **OPTIONS)
    with context.begin_transaction():
        context.run_migrations()
else:
    with get_engine().connect() as connection:
        _run(connection)
        connection.commit()
