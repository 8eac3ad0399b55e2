"""Sign-up, tokens and API keys (DESIGN §4)."""

import azure.functions as func

from functions.http_api import ApiRequest, Reply, endpoint
from functions.lazy import LazyModule

accounts = LazyModule("shared.services.accounts")
schemas = LazyModule("shared.schemas.accounts")

bp = func.Blueprint()


@bp.route(route="signup", methods=["POST"])
@endpoint(auth=False)
def signup(call: ApiRequest) -> Reply:
    return Reply(accounts.signup(call.settings, call.parse(schemas.SignupRequest), call.client_address), status=201)


@bp.route(route="token", methods=["POST"])
@endpoint(auth=False)
def token(call: ApiRequest) -> Reply:
    return Reply(accounts.token(call.settings, call.parse(schemas.TokenRequest), call.client_address))


@bp.route(route="api-keys", methods=["POST"])
@endpoint()
def create_api_key(call: ApiRequest) -> Reply:
    return Reply(accounts.create_api_key(call.tenant, call.parse(schemas.ApiKeyCreate).name), status=201)


@bp.route(route="api-keys", methods=["GET"])
@endpoint()
def list_api_keys(call: ApiRequest) -> Reply:
    return Reply(accounts.list_api_keys(call.tenant))


@bp.route(route="api-keys/{key_id}", methods=["DELETE"])
@endpoint()
def revoke_api_key(call: ApiRequest) -> Reply:
    accounts.revoke_api_key(call.tenant, call.route_uuid("key_id", "API key"))
    return Reply(status=204)
