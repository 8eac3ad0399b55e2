"""The console (DESIGN §10): a web page for a company's credit team, served from the app's own
packaged files, so it works offline and the same under the devhost, `func start` and Azure."""

import uuid
from urllib.parse import urlsplit

import azure.functions as func

from functions.http_api import problem
from shared import console_files

bp = func.Blueprint()
NOT_BUILT = "The console is not built: run `make console` (or `npm run build` in console/)."


@bp.route(route="console", methods=["GET"])
def console_page(req: func.HttpRequest) -> func.HttpResponse:
    return _page(req)


@bp.route(route="console/{*path}", methods=["GET"])
def console_file(req: func.HttpRequest) -> func.HttpResponse:
    """A built file, or for any other path (a page of the console's own router) the console itself."""
    path = req.route_params.get("path", "")
    try:
        found = console_files.asset(path)
    except console_files.NotBuilt:
        return problem(404, "Not Found", NOT_BUILT, uuid.uuid4().hex)
    if found is not None:
        content, media_type, headers = found
        return func.HttpResponse(content, mimetype=media_type, headers=headers)
    if console_files.is_asset_path(path):
        return problem(404, "Not Found", "No such console file.", uuid.uuid4().hex)
    return _page(req)


def _page(req: func.HttpRequest) -> func.HttpResponse:
    # The console's URL from the request's own path: right under any route prefix.
    url_path = urlsplit(req.url).path
    head, found, _ = url_path.partition("/console/")
    base = f"{head}/console/" if found else url_path.rstrip("/") + "/"
    try:
        content = console_files.page(base)
    except console_files.NotBuilt:
        return problem(404, "Not Found", NOT_BUILT, uuid.uuid4().hex)
    return func.HttpResponse(content, mimetype="text/html", charset="utf-8", headers=console_files.REVALIDATE)
