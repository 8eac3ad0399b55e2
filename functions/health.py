"""Readiness probe for load balancers and `make run` users."""

import azure.functions as func

from functions.http_api import ApiRequest, Reply, endpoint
from functions.lazy import LazyModule

health = LazyModule("shared.services.health")

bp = func.Blueprint()


@bp.route(route="health", methods=["GET"])
@endpoint(auth=False, schema_gate=False)
def health_check(call: ApiRequest) -> Reply:
    return Reply(health.check(call.settings))
