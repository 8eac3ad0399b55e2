"""Invoice / review / hold decisions with reasons, their history and summary (DESIGN §4), and the
timer that indexes the log."""

import logging

import azure.functions as func

from functions.http_api import ApiRequest, Reply, endpoint
from shared.schemas.models import PredictionHistoryQuery, PredictionRequest, PredictionSummaryQuery
from shared.services import decision_history, predictions

bp = func.Blueprint()
log = logging.getLogger("creditgate.predictions")


@bp.route(route="predictions", methods=["POST"])
@endpoint()
def predict(call: ApiRequest) -> Reply:
    return Reply(predictions.predict(call.settings, call.tenant, call.parse_batch(PredictionRequest, "orders")))


@bp.route(route="predictions", methods=["GET"])
@endpoint()
def prediction_history(call: ApiRequest) -> Reply:
    return Reply(decision_history.history(call.tenant, call.parse(PredictionHistoryQuery, dict(call.raw.params))))


@bp.route(route="predictions/summary", methods=["GET"])
@endpoint()
def prediction_summary(call: ApiRequest) -> Reply:
    return Reply(decision_history.summary(call.tenant, call.parse(PredictionSummaryQuery, dict(call.raw.params))))


@bp.timer_trigger(arg_name="timer", schedule="%PREDICTION_LOG_SCHEDULE%", run_on_startup=False)
def prediction_log_indexing(timer: func.TimerRequest) -> None:
    """Moves logged decisions into the per-order log, so history queries find little left to do."""
    if moved := predictions.index_decisions():
        log.info("prediction log: %d decisions indexed", moved)
