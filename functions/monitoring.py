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


@bp.route(route="retraining", methods=["GET"])
@endpoint()
def get_retraining(call: ApiRequest) -> Reply:
    return Reply(retraining.get_rule(call.tenant))


@bp.route(route="retraining", methods=["PUT"])
@endpoint()
def put_retraining(call: ApiRequest) -> Reply:
    return Reply(retraining.put_rule(call.tenant, call.parse(schemas.RetrainingRule)))


@bp.route(route="training-jobs", methods=["POST"])
@endpoint()
def start_training(call: ApiRequest) -> Reply:
    call.parse(schemas.TrainingStart)  # no body, or {}
    return Reply(retraining.start_training(call.settings, call.tenant), status=202)


@bp.timer_trigger(arg_name="timer", schedule="%RETRAINING_SCHEDULE%", run_on_startup=False)
def retraining_rules(timer: func.TimerRequest) -> None:
    """Applies every company's retraining rule: queues training for new labels, age or drift."""
    if queued := retraining.apply_rules(config.get_settings()):
        log.info("retraining rules queued %d jobs: %s", len(queued), sorted(set(queued.values())))
