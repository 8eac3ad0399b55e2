"""The console's files: only what the build wrote is served, the page knows its own URL, and
hashed assets are cached for good while the page is revalidated."""

from __future__ import annotations

import json
import re
from pathlib import Path

import azure.functions as func
import pytest

from functions import console
from shared import console_files
from tests.services import unavailable


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text('<!DOCTYPE html><html><head><script src="./assets/app-1a2b.js"></script></head></html>')
    (tmp_path / "assets" / "app-1a2b.js").write_text("console.log(1)")
    (tmp_path / "assets" / "notes.txt").write_text("not a served type")
    return tmp_path


def test_the_page_carries_a_base_for_its_relative_assets(dist: Path) -> None:
    page = console_files.page("/v1/console/", dist).decode()
    assert '<head>\n    <base href="/v1/console/">' in page


def test_assets_are_served_with_their_type_and_immutable_caching(dist: Path) -> None:
    content, media_type, headers = console_files.asset("assets/app-1a2b.js", dist)
    assert (content, media_type) == (b"console.log(1)", "text/javascript")
    assert "immutable" in headers["Cache-Control"]


@pytest.mark.parametrize("path", ["index.html", "assets/notes.txt", "../index.html", "assets/../index.html", "assets/missing.js", ""])
def test_nothing_but_the_built_assets_is_a_file(dist: Path, path: str) -> None:
    assert console_files.asset(path, dist) is None


def test_a_missing_build_says_so(tmp_path: Path) -> None:
    with pytest.raises(console_files.NotBuilt):
        console_files.page("/api/console/", tmp_path)


def _get(url: str, **route_params: str) -> func.HttpRequest:
    return func.HttpRequest("GET", url, body=b"", route_params=route_params)


@pytest.fixture
def built() -> None:
    if not (console_files.DIST / console_files.INDEX).is_file():
        unavailable("the console is not built: run `make console`")


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("http://h/api/console", None),
        ("http://h/api/console/", ""),
        ("http://h/api/console/models/3", "models/3"),
        ("http://h/api/console/../../function_app.py", "../../function_app.py"),
    ],
)
def test_every_console_path_but_an_asset_is_the_page_with_its_base(built, url: str, path: str | None) -> None:
    answer = console.console_page(_get(url)) if path is None else console.console_file(_get(url, path=path))
    assert answer.status_code == 200 and answer.mimetype == "text/html"
    assert answer.headers["Cache-Control"] == "no-cache"
    page = answer.get_body().decode()
    assert '<base href="/api/console/">' in page
    for ref in re.findall(r'(?:href|src)="(\./[^"]+)"', page):  # every asset the page names is served
        name = ref.removeprefix("./")
        served = console.console_file(_get(f"http://h/api/console/{name}", path=name))
        assert served.status_code == 200 and len(served.get_body()) > 1000, ref


def test_a_missing_asset_is_a_404_problem(built) -> None:
    answer = console.console_file(_get("http://h/api/console/assets/gone.js", path="assets/gone.js"))
    assert answer.status_code == 404 and answer.mimetype == "application/problem+json"
    assert json.loads(answer.get_body())["status"] == 404


def test_the_deployment_package_carries_the_build_but_not_the_sources() -> None:
    """`.funcignore` patterns are gitignore-style; none may reach shared/console_dist/ or its files."""
    root = Path(__file__).resolve().parents[2]
    patterns = [line.strip() for line in (root / ".funcignore").read_text().splitlines() if line.strip() and not line.startswith("#")]
    assert "console/" in patterns
    built = console_files.DIST.relative_to(root).as_posix()
    assert not [p for p in patterns if p.rstrip("/") in {"shared", built, "*.js", "*.html", "*.css", "assets"}]
    assert built in (root / ".gitignore").read_text().split() or f"{built}/" in (root / ".gitignore").read_text().split()
