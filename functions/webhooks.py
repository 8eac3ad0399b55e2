"""Webhooks: register, list, delete, the delivery log, and the timer that delivers (DESIGN §9)."""

import logging

import azure.functions as func

from functions.http_api import ApiRequest, Reply, endpoint
from functions.lazy import LazyModule

config = LazyModule("shared.config")
delivery = LazyModule("shared.services.webhook_delivery")
pages = LazyModule("shared.schemas.pages")
schemas = LazyModule("shared.schemas.webhooks")
webhooks = LazyModule("shared.services.webhooks")

bp = func.Blueprint()
log = logging.getLogger("creditgate.webhooks")


@bp.route(route="webhooks", methods=["POST"])
@endpoint()
def create_webhook(call: ApiRequest) -> Reply:
    return Reply(webhooks.register(call.settings, call.tenant, call.parse(schemas.WebhookCreate)), status=201)


@bp.route(route="webhooks", methods=["GET"])
@endpoint()
def list_webhooks(call: ApiRequest) -> Reply:
    return Reply(webhooks.list_webhooks(call.tenant))


@bp.route(route="webhooks/{webhook_id}", methods=["DELETE"])
@endpoint()
def delete_webhook(call: ApiRequest) -> Reply:
    webhooks.delete(call.tenant, call.route_uuid("webhook_id", "webhook"))
    return Reply(status=204)


@bp.route(route="webhooks/{webhook_id}/deliveries", methods=["GET"])
@endpoint()
def list_webhook_deliveries(call: ApiRequest) -> Reply:
    webhook_id = call.route_uuid("webhook_id", "webhook")
    page = call.parse(pages.PageQuery, dict(call.raw.params))
    return Reply(webhooks.list_deliveries(call.tenant, webhook_id, page))


@bp.timer_trigger(arg_name="timer", schedule="%WEBHOOK_DELIVERY_SCHEDULE%", run_on_startup=False)
def webhook_delivery(timer: func.TimerRequest) -> None:
    """Sends the webhook events that are due, first attempts and retries alike."""
    if attempted := delivery.deliver_due(config.get_settings()):
        log.info("webhooks: %d delivery attempts", attempted)
