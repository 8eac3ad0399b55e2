"""Model versions: list, inspect, activate (rollback) and evaluate on fresh labeled orders."""

import azure.functions as func

from functions.http_api import ApiRequest, Reply, endpoint
from functions.lazy import LazyModule

models = LazyModule("shared.services.models")
reports = LazyModule("shared.services.reports")
schemas = LazyModule("shared.schemas.models")

bp = func.Blueprint()


@bp.route(route="models", methods=["GET"])
@endpoint()
def list_models(call: ApiRequest) -> Reply:
    return Reply(models.list_models(call.tenant))


@bp.route(route="models/{version:int}", methods=["GET"])
@endpoint()
def get_model(call: ApiRequest) -> Reply:
    return Reply(models.get_model(call.tenant, call.route_int("version", "model version")))


@bp.route(route="models/{version:int}/activate", methods=["POST"])
@endpoint()
def activate_model(call: ApiRequest) -> Reply:
    return Reply(models.activate(call.tenant, call.route_int("version", "model version")))


@bp.route(route="models/{version:int}/evaluate", methods=["POST"])
@endpoint()
def evaluate_model(call: ApiRequest) -> Reply:
    version = call.route_int("version", "model version")
    orders = call.parse_batch(schemas.EvaluateRequest, "orders")
    return Reply(models.evaluate(call.settings, call.tenant, version, orders))


@bp.route(route="models/{version:int}/report", methods=["GET"])
@endpoint()
def model_report(call: ApiRequest) -> Reply:
    return Reply(reports.get_report(call.settings, call.tenant, call.route_int("version", "model version")))
