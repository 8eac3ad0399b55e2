"""Swagger UI served from the swagger-ui-py wheel, so /api/docs works offline (no CDN) and its
version is pinned by requirements.txt like any other dependency."""

from __future__ import annotations

import html
import importlib.util
import json
from functools import cache
from pathlib import Path

PACKAGE = "swagger_ui"
# Only what the page below loads: the wheel also ships Swagger Editor, which /api/docs does not need.
ASSETS: dict[str, str] = {
    "swagger-ui.css": "text/css",
    "swagger-ui-bundle.js": "text/javascript",
    "favicon-32x32.png": "image/png",
    "favicon-16x16.png": "image/png",
}

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>CreditGate API</title>
  <link rel="stylesheet" href="{assets}swagger-ui.css">
  <link rel="icon" type="image/png" href="{assets}favicon-32x32.png" sizes="32x32">
  <link rel="icon" type="image/png" href="{assets}favicon-16x16.png" sizes="16x16">
  <style>body {{ margin: 0; }}</style>
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="{assets}swagger-ui-bundle.js"></script>
  <script>
    window.ui = SwaggerUIBundle({{
      url: {spec}, dom_id: "#swagger-ui", deepLinking: true, persistAuthorization: true
    }});
  </script>
</body>
</html>
"""


def page(openapi_url: str, assets_url: str) -> str:
    """The HTML of the docs page; `assets_url` ends with a slash."""
    spec = json.dumps(openapi_url).replace("<", "\\u003c")
    return _PAGE.format(assets=html.escape(assets_url), spec=spec)


def asset(name: str) -> tuple[bytes, str] | None:
    """(content, media type) of a served file, or None for any other name."""
    media_type = ASSETS.get(name)
    return None if media_type is None else (_read(name), media_type)


@cache
def _read(name: str) -> bytes:
    return (_static_dir() / name).read_bytes()


def _static_dir() -> Path:
    # find_spec locates the wheel without running its __init__, which loads Jinja2, PyYAML and the
    # adapters for a dozen web frameworks that this app does not use.
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"the {PACKAGE} package (PyPI: swagger-ui-py) is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "static"
