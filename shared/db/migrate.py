"""Apply the schema migrations: `python -m shared.db.migrate` (what `make run` does first)."""

from __future__ import annotations

import sys

from alembic import command
from alembic.config import Config

from shared.config import ConfigError


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", "shared.db:migrations")
    return config


def upgrade(revision: str = "head", sql: bool = False) -> None:
    """sql=True prints the DDL for DATABASE_URL's dialect instead of applying it."""
    command.upgrade(alembic_config(), revision, sql=sql)


def main() -> int:
    try:
        upgrade()
    except ConfigError as exc:
        print(f"config error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
