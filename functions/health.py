"""Readiness probe for load balancers and `make run` users."""

import azure.functions as func

from functions.http_api import ApiRequest, Reply, endpoint
from functions.lazy import LazyModule
from shared.schemas.health import HealthReport

health = LazyModule("shared.services.health")

bp = func.Blueprint()


@bp.route(route="health", methods=["GET"])
@endpoint(auth=False)
def health_check(call: ApiRequest) -> Reply:
    report = health.check(call.settings)
    return Reply(report, status=200 if report.status == "ok" else 503)
