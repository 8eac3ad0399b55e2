"""The console's built files (`make console`: Vite writes them to `shared/console_dist/`, which git
ignores and the deployment package carries), served by `functions.console` (DESIGN §10).

Only the files the build wrote are ever served, looked up by their relative path in a listing made
once, so no request path can reach outside the folder. Any other path below the console is one of
its client-side pages, answered with index.html; `<base href>` is written into that page from the
request's own path, so the same build works under any route prefix.
"""

from __future__ import annotations

import html
from functools import cache
from pathlib import Path, PurePosixPath

DIST = Path(__file__).resolve().parent / "console_dist"
INDEX = "index.html"
ASSETS_DIR = "assets"
# What the build writes (the OpenAPI document lists these); a file of another kind is not served.
MEDIA_TYPES = {".html": "text/html", ".js": "text/javascript", ".css": "text/css"}
# Vite names every file under assets/ by a hash of its content: a name never changes meaning.
IMMUTABLE = {"Cache-Control": "public, max-age=31536000, immutable"}
# The page names the current assets, so browsers must ask again after each deployment.
REVALIDATE = {"Cache-Control": "no-cache"}
_BASE_MARKER = "<head>"


class NotBuilt(LookupError):
    """The build output is missing: `make console` (or `npm run build` in console/) writes it."""


@cache
def _listing(dist: Path = DIST) -> dict[str, Path]:
    if not (dist / INDEX).is_file():
        raise NotBuilt(f"{dist / INDEX} is missing")
    return {
        path.relative_to(dist).as_posix(): path
        for path in dist.rglob("*")
        if path.is_file() and path.suffix in MEDIA_TYPES
    }


def page(base_path: str, dist: Path = DIST) -> bytes:
    """index.html with `<base href>` set to `base_path` (the console's own URL path, ending in /)."""
    text = _listing(dist)[INDEX].read_text(encoding="utf-8")
    base = f'{_BASE_MARKER}\n    <base href="{html.escape(base_path)}">'
    return text.replace(_BASE_MARKER, base, 1).encode()


def asset(path: str, dist: Path = DIST) -> tuple[bytes, str, dict[str, str]] | None:
    """(content, media type, cache headers) of a built file; None when `path` names none."""
    found = _listing(dist).get(path)
    if found is None or path == INDEX:
        return None
    headers = IMMUTABLE if PurePosixPath(path).parts[0] == ASSETS_DIR else REVALIDATE
    return found.read_bytes(), MEDIA_TYPES[found.suffix], headers


def is_asset_path(path: str) -> bool:
    """A path under assets/ names a file; a missing one is a 404, never the page."""
    return PurePosixPath(path).parts[:1] == (ASSETS_DIR,)
