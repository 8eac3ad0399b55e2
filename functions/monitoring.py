"""Monitoring and retraining (DESIGN §9): decisions against outcomes and drift, the company's
retraining rule with the timer that applies it, and training started by hand."""

import logging

import azure.functions as func

from functions.http_api import ApiRequest, Reply, endpoint
from functions.lazy import LazyModule

config = LazyModule("shared.config")
monitoring = LazyModule("shared.services.monitoring")
retraining = LazyModule("shared.services.retraining")
schemas = LazyModule("shared.schemas.monitoring")

bp = func.Blueprint()
log = logging.getLogger("creditgate.monitoring")


@bp.route(route="monitoring", methods=["GET"])
@endpoint()
def get_monitoring(call: ApiRequest) -> Reply:
    return Reply(monitoring.monitoring(call.tenant, call.parse(schemas.MonitoringQuery, dict(call.raw.params))))
