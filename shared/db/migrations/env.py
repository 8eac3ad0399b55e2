"""Alembic environment: runs against the app's own engine for DATABASE_URL. Only the database
settings are read, so the schema can be applied where the app's other settings are not set.

Offline mode (`upgrade(sql=True)`) prints the DDL for DATABASE_URL's dialect without connecting,
which is how the SQL Server schema is checked and how a DBA can review it.
"""

from alembic import context

from shared.config import DatabaseSettings, load_settings
from shared.db.engine import engine_for
from shared.db.models import Base

# render_as_batch: SQLite cannot ALTER most things; batch mode rebuilds tables portably.
OPTIONS = {"target_metadata": Base.metadata, "render_as_batch": True, "compare_type": True}


def _run(connection) -> None:
    context.configure(connection=connection, **OPTIONS)
    with context.begin_transaction():
        context.run_migrations()


url = load_settings(DatabaseSettings).sqlalchemy_url
if context.is_offline_mode():
    context.configure(url=url, literal_binds=True, **OPTIONS)
    with context.begin_transaction():
        context.run_migrations()
else:
    with engine_for(url).connect() as connection:
        _run(connection)
        connection.commit()
