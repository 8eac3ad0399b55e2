"""Training: job status over HTTP, the Event Hub triggered trainer, and the outbox/lease timer."""

import logging

import azure.functions as func

from functions.http_api import ApiRequest, Reply, endpoint
from functions.lazy import LazyModule

config = LazyModule("shared.config")
outbox = LazyModule("shared.services.outbox")
pages = LazyModule("shared.schemas.pages")
training = LazyModule("shared.services.training")
training_jobs = LazyModule("shared.services.training_jobs")

bp = func.Blueprint()
log = logging.getLogger("creditgate.training")


@bp.route(route="training-jobs", methods=["GET"])
@endpoint()
def list_training_jobs(call: ApiRequest) -> Reply:
    return Reply(training_jobs.list_training_jobs(call.tenant, call.parse(pages.PageQuery, dict(call.raw.params))))


@bp.route(route="training-jobs/{job_id}", methods=["GET"])
@endpoint()
def training_job_status(call: ApiRequest) -> Reply:
    return Reply(training_jobs.get_training_job(call.tenant, call.route_uuid("job_id", "training job")))


@bp.event_hub_message_trigger(
    arg_name="event",
    event_hub_name="%TRAINING_EVENT_HUB%",
    connection="EventHubConnection",
    consumer_group="%TRAINING_CONSUMER_GROUP%",
    cardinality=func.Cardinality.ONE,
)
def train(event: func.EventHubEvent) -> None:
    training.handle_event(config.get_settings(), event.get_body())


@bp.timer_trigger(arg_name="timer", schedule="%TRAINING_MAINTENANCE_SCHEDULE%", run_on_startup=True)
def training_maintenance(timer: func.TimerRequest) -> None:
    """Relays outbox rows the commit could not publish, requeues jobs whose lease expired, wakes
    jobs whose backoff after a transient fault has passed, and (local events) runs what is queued."""
    settings = config.get_settings()
    requeued = training.requeue_expired(settings)
    woken = training.wake_due_retries(settings)
    relayed = outbox.relay(settings)
    ran = training.run_local_events(settings)
    if requeued or woken or relayed or ran:
        log.info(
            "maintenance: %d jobs requeued, %d retries due, %d events relayed, %d local events run",
            requeued, woken, relayed, ran,
        )
