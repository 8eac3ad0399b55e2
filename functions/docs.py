"""The API describes itself: the OpenAPI document and Swagger UI, both public (DESIGN §4)."""

import uuid
from urllib.parse import urlsplit

import azure.functions as func

from functions.http_api import problem
from functions.lazy import LazyModule
from shared import swagger_ui

openapi = LazyModule("shared.openapi")

bp = func.Blueprint()
ASSET_CACHE = {"Cache-Control": "public, max-age=86400"}


@bp.route(route="openapi.json", methods=["GET"])
def openapi_document(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(openapi.document_json(), mimetype="application/json")


@bp.route(route="docs", methods=["GET"])
def swagger_ui_page(req: func.HttpRequest) -> func.HttpResponse:
    # URLs from the request's own path: right under any route prefix, with or without a final slash.
    page_path = urlsplit(req.url).path.rstrip("/")
    html = swagger_ui.page(
        openapi_url=f"{page_path.rpartition('/')[0]}/openapi.json", assets_url=f"{page_path}/"
    )
    return func.HttpResponse(html, mimetype="text/html", charset="utf-8")


@bp.route(route="docs/{asset}", methods=["GET"])
def swagger_ui_asset(req: func.HttpRequest) -> func.HttpResponse:
    found = swagger_ui.asset(req.route_params.get("asset", ""))
    if found is None:
        return problem(404, "Not Found", "No such documentation file.", uuid.uuid4().hex)
    content, media_type = found
    return func.HttpResponse(content, mimetype=media_type, headers=ASSET_CACHE)
