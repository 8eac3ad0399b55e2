"""Invoice / review / hold decisions with reasons, their history and summary (DESIGN §4), and the
timer that indexes the log."""

import logging

import azure.functions as func

from functions.http_api import ApiRequest, Reply, endpoint
from functions.lazy import LazyModule

decision_history = LazyModule("shared.services.decision_history")
predictions = LazyModule("shared.services.predictions")
schemas = LazyModule("shared.schemas.models")

bp = func.Blueprint()
log = logging.getLogger("creditgate.predictions")


@bp.route(route="predictions", methods=["POST"])
@endpoint()
def predict(call: ApiRequest) -> Reply:
    orders = call.parse_batch(schemas.PredictionRequest, "orders")
    return Reply(predictions.predict(call.settings, call.tenant, orders))


@bp.route(route="predictions", methods=["GET"])
@endpoint()
def prediction_history(call: ApiRequest) -> Reply:
    query = call.parse(schemas.PredictionHistoryQuery, dict(call.raw.params))
    return Reply(decision_history.history(call.tenant, query))


@bp.route(route="predictions/summary", methods=["GET"])
@endpoint()
def prediction_summary(call: ApiRequest) -> Reply:
    query = call.parse(schemas.PredictionSummaryQuery, dict(call.raw.params))
    return Reply(decision_history.summary(call.tenant, query))


@bp.timer_trigger(arg_name="timer", schedule="%PREDICTION_LOG_SCHEDULE%", run_on_startup=False)
def prediction_log_indexing(timer: func.TimerRequest) -> None:
    """Moves logged decisions into the per-order log, so history queries find little left to do."""
    if moved := predictions.index_decisions():
        log.info("prediction log: %d decisions indexed", moved)
