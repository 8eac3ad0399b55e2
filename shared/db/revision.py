"""Is the database at the schema this code was written for? Asked before serving (DESIGN §7).

A database behind the code's migrations fails requests in confusing ways ("no such table"), so
every route answers 503 naming the fix instead. A good answer is kept for the life of the worker
(the schema does not move back); a bad one is asked again on the next request, so a database
migrated meanwhile is served without a restart. Alembic is imported on the first check only: it
costs a cold start more than the check itself.
"""

from __future__ import annotations

import logging
from functools import lru_cache

from shared.config import get_settings
from shared.db.engine import reading
from shared.errors import Unavailable

MIGRATE = "python -m shared.db.migrate"
log = logging.getLogger(__name__)
_current: set[str] = set()  # database URLs found at (or past) the code's head by this worker


@lru_cache(maxsize=1)
def code_revisions() -> tuple[frozenset[str], frozenset[str]]:
    """The code's head revisions and every revision it knows (static: read once per worker)."""
    from alembic.script import ScriptDirectory

    from shared.db.migrate import alembic_config

    script = ScriptDirectory.from_config(alembic_config())
    return frozenset(script.get_heads()), frozenset(revision.revision for revision in script.walk_revisions())


def require_current_schema() -> None:
    """Raises `Unavailable` naming the fix when the configured database is behind the code's head."""
    url = get_settings().sqlalchemy_url
    if url in _current:
        return
    from alembic.runtime.migration import MigrationContext

    with reading() as connection:  # never queues behind a writer (SQLite)
        found = frozenset(MigrationContext.configure(connection).get_current_heads())
    heads, known = code_revisions()
    if found == heads or not found <= known:
        if found != heads:  # migrated by newer code (a rolling deploy): its migrations are additive
            log.warning("database schema at %s, newer than this code's %s", _names(found), _names(heads))
        _current.add(url)
        return
    raise Unavailable(
        f"The database schema is at revision {_names(found) or 'none (no tables yet)'}, behind this "
        f"code's {_names(heads)}: run `{MIGRATE}` with this DATABASE_URL, then retry."
    )


def _names(revisions: frozenset[str]) -> str:
    return ", ".join(sorted(revisions))
