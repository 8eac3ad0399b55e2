from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from shared.db import get_engine
from shared.db.models import Base


def test_migrations_build_exactly_the_orm_schema(database):
    with get_engine().connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
