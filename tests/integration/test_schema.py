import os
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine

from shared.db import get_engine
from shared.db.migrate import alembic_config
from shared.db.models import Base
from shared.devhost.process import SETTING_NAMES

REPO = Path(__file__).resolve().parents[2]


def test_migrations_build_exactly_the_orm_schema(database):
    with get_engine().connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_migrations_need_only_the_database_url(backend, tmp_path, request):
    """A deployer applies the schema with DATABASE_URL alone: no app secrets, no event settings."""
    url = f"sqlite:///{tmp_path / 'fresh.db'}" if backend == "sqlite" else request.getfixturevalue("fresh_postgres_url")
    clean = {name: value for name, value in os.environ.items() if name not in SETTING_NAMES} | {"PYTHONPATH": str(REPO)}
    incomplete = {"EVENTS_BACKEND": "eventhub", "MODEL_STORE": "azureblob"}  # each lacks its connection setting
    migrate = subprocess.run(
        [sys.executable, "-m", "shared.db.migrate"],
        env=clean | incomplete | {"DATABASE_URL": url}, cwd=tmp_path, capture_output=True, text=True,
    )
    assert migrate.returncode == 0, migrate.stderr
    with create_engine(url).connect() as connection:
        revision = MigrationContext.configure(connection).get_current_revision()
    assert revision == ScriptDirectory.from_config(alembic_config()).get_current_head()

    app = subprocess.run(
        [sys.executable, "-c", "from shared.config import load_settings; load_settings()"],
        env=clean | {"DATABASE_URL": url}, cwd=tmp_path, capture_output=True, text=True,
    )
    assert app.returncode != 0 and "JWT_SECRET is required when DATABASE_URL is set" in app.stderr, "the app still is strict"
