"""Training jobs: status over HTTP (the Event Hub and timer triggers join in the training issue)."""

import azure.functions as func

from functions.http_api import ApiRequest, Reply, endpoint
from shared.services import training_jobs

bp = func.Blueprint()


@bp.route(route="training-jobs/{job_id}", methods=["GET"])
@endpoint()
def training_job_status(call: ApiRequest) -> Reply:
    return Reply(training_jobs.get_training_job(call.tenant, call.route_uuid("job_id", "training job")))
