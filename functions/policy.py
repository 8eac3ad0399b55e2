"""The company's decision policy (DESIGN §8): read it, and save a new version."""

import azure.functions as func

from functions.http_api import ApiRequest, Reply, endpoint
from functions.lazy import LazyModule

policy = LazyModule("shared.services.policy")
schemas = LazyModule("shared.schemas.policy")

bp = func.Blueprint()


@bp.route(route="policy", methods=["GET"])
@endpoint()
def get_policy(call: ApiRequest) -> Reply:
    return Reply(policy.get_policy(call.settings, call.tenant))


@bp.route(route="policy", methods=["PUT"])
@endpoint()
def put_policy(call: ApiRequest) -> Reply:
    return Reply(policy.put_policy(call.settings, call.tenant, call.parse(schemas.PolicyDocument)))
