"""Invoice-or-hold decisions with reasons, and their history (DESIGN §4)."""

import azure.functions as func

from functions.http_api import ApiRequest, Reply, endpoint
from shared.schemas.models import PredictionHistoryQuery, PredictionRequest
from shared.services import predictions

bp = func.Blueprint()


@bp.route(route="predictions", methods=["POST"])
@endpoint()
def predict(call: ApiRequest) -> Reply:
    return Reply(predictions.predict(call.settings, call.tenant, call.parse_batch(PredictionRequest, "orders")))


@bp.route(route="predictions", methods=["GET"])
@endpoint()
def prediction_history(call: ApiRequest) -> Reply:
    return Reply(predictions.history(call.tenant, call.parse(PredictionHistoryQuery, dict(call.raw.params))))
