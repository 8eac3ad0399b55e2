"""Upload sessions: open, send batches per dataset, read progress, commit (DESIGN §4)."""

import azure.functions as func

from functions.http_api import ApiRequest, Reply, endpoint
from functions.lazy import LazyModule

pages = LazyModule("shared.schemas.pages")
schemas = LazyModule("shared.schemas.uploads")
uploads = LazyModule("shared.services.uploads")

bp = func.Blueprint()


@bp.route(route="uploads", methods=["POST"])
@endpoint()
def open_upload(call: ApiRequest) -> Reply:
    return Reply(uploads.open_upload(call.tenant, call.parse(schemas.UploadOpen)), status=201)


@bp.route(route="uploads", methods=["GET"])
@endpoint()
def list_uploads(call: ApiRequest) -> Reply:
    return Reply(uploads.list_uploads(call.tenant, call.parse(pages.PageQuery, dict(call.raw.params))))


@bp.route(route="uploads/{upload_id}", methods=["GET"])
@endpoint()
def upload_status(call: ApiRequest) -> Reply:
    return Reply(uploads.upload_status(call.tenant, call.route_uuid("upload_id", "upload")))


@bp.route(route="uploads/{upload_id}/commit", methods=["POST"])
@endpoint()
def commit_upload(call: ApiRequest) -> Reply:
    request = call.parse(schemas.CommitRequest)
    upload_id = call.route_uuid("upload_id", "upload")
    return Reply(uploads.commit_upload(call.settings, call.tenant, upload_id, train=request.train), status=202)


@bp.route(route="uploads/{upload_id}/{dataset}", methods=["POST"])
@endpoint()
def receive_batch(call: ApiRequest) -> Reply:
    upload_id = call.route_uuid("upload_id", "upload")
    dataset = call.raw.route_params["dataset"]
    return Reply(uploads.receive_batch(call.settings, call.tenant, upload_id, dataset, call.json()))
