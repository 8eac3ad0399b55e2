"""What every HTTP function shares: request id, auth, body limits and RFC 9457 problem responses.

Route handlers take an `ApiRequest` and return a `Reply`; `endpoint` turns them into the
`func.HttpRequest -> func.HttpResponse` functions the Functions host (or the devhost) calls.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

import azure.functions as func
import pydantic_core
from pydantic import BaseModel, ValidationError

from functions.lazy import LazyModule
from shared import request_context
from shared.errors import (
    AppError,
    AuthenticationFailed,
    Conflict,
    InvalidInput,
    MalformedRequest,
    NotFound,
    TooLarge,
    TooManyRequests,
    Unavailable,
    UnsupportedMediaType,
)
from shared.schemas.base import PlainAnswer, field_errors, too_many

if TYPE_CHECKING:
    from shared.config import Settings
    from shared.security import Principal

accounts = LazyModule("shared.services.accounts")
config = LazyModule("shared.config")
faults = LazyModule("shared.faults")
request_rate = LazyModule("shared.services.request_rate")
revision = LazyModule("shared.db.revision")

MAX_BODY_BYTES = 5 * 1024 * 1024
JSON = "application/json"
PROBLEM_JSON = "application/problem+json"
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
# Route ids in their one documented spelling: `int()` also takes " 7", "+7" and Unicode digits and
# spaces (`/models/%C2%A07` was version 7), `uuid.UUID()` braces, "urn:uuid:" and bare hex.
_ROUTE_INT = re.compile(r"[0-9]{1,10}")
_ROUTE_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_STATUS = {
    MalformedRequest: (400, "Bad Request"),
    AuthenticationFailed: (401, "Unauthorized"),
    NotFound: (404, "Not Found"),
    Conflict: (409, "Conflict"),
    TooLarge: (413, "Content Too Large"),
    UnsupportedMediaType: (415, "Unsupported Media Type"),
    InvalidInput: (422, "Unprocessable Content"),
    TooManyRequests: (429, "Too Many Requests"),
    Unavailable: (503, "Service Unavailable"),
}
TRANSIENT = "A storage or database fault stopped the request (disk full, busy or unreachable); retry later."

log = logging.getLogger("creditgate.http")
request_context.install()
M = TypeVar("M", bound=BaseModel)


@dataclass
class ApiRequest:
    raw: func.HttpRequest
    settings: Settings
    principal: Principal | None = None

    @property
    def tenant(self) -> Principal:
        assert self.principal is not None, "route declared auth=False but needs a caller"
        return self.principal

    @property
    def client_address(self) -> str:
        """The caller's address as the front end saw it: the last `X-Forwarded-For` entry, the one
        Azure's front end appends (and the devhost sets from the socket). Entries before it come
        from the client and are not trusted; behind one more proxy, the last entry is that proxy."""
        return self.raw.headers.get("X-Forwarded-For", "").rsplit(",", 1)[-1].strip()

    def _body(self) -> bytes:
        """The body, `{}` when there is none; a body that is there must say it is JSON."""
        body = self.raw.get_body()
        if len(body) > MAX_BODY_BYTES:
            raise _too_large()
        if not body.strip():
            return b"{}"
        media_type = self.raw.headers.get("Content-Type", "").partition(";")[0].strip().lower()
        if media_type != JSON:
            raise UnsupportedMediaType(
                f"Send the body as {JSON} (a request without a body needs no Content-Type)."
            )
        return body

    def json(self) -> Any:
        """Parsed by pydantic-core, as `parse_batch` bodies are: the same JSON is accepted everywhere,
        and nesting is bounded (json.loads raised RecursionError on 10,000 levels)."""
        try:
            return pydantic_core.from_json(self._body())
        except ValueError as exc:
            raise _not_json(str(exc)) from None

    def parse(self, model: type[M], payload: Any = None) -> M:
        try:
            return model.model_validate(self.json() if payload is None else payload)
        except ValidationError as exc:
            raise InvalidInput("The request body is invalid.", errors=field_errors(exc)) from None

    def parse_batch(self, model: type[M], field: str) -> M:
        """A body carrying a list under `field`, parsed and validated in one pass of pydantic-core
        (two thirds of the time of json.loads and then validation). The model caps the list at 500
        items; more is 413 (DESIGN §4), whatever else is wrong with them."""
        try:
            return model.model_validate_json(self._body())
        except ValidationError as exc:
            errors = exc.errors()
            for error in errors:
                if error["type"] == "json_invalid":
                    raise _not_json(error["ctx"]["error"]) from None
            for error in errors:
                if error["type"] == "too_long" and error["loc"] == (field,):
                    raise too_many(field, error["ctx"]["max_length"], error["ctx"]["actual_length"]) from None
            raise InvalidInput("The request body is invalid.", errors=field_errors(exc)) from None

    def route_uuid(self, name: str, what: str) -> uuid.UUID:
        return uuid.UUID(self._route(name, what, _ROUTE_UUID))

    def route_int(self, name: str, what: str) -> int:
        return int(self._route(name, what, _ROUTE_INT))

    def _route(self, name: str, what: str, spelling: re.Pattern[str]) -> str:
        value = self.raw.route_params.get(name, "")
        if not spelling.fullmatch(value):
            raise NotFound(f"No such {what}.")
        return value


def _not_json(reason: str) -> MalformedRequest:
    """The parser's reason says where (line and column), never what: the body may hold secrets."""
    return MalformedRequest(f"The body is not valid JSON: {reason}.")


@dataclass
class Reply:
    body: BaseModel | None = None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


def _encoded(body: BaseModel) -> bytes | str:
    return body.encoded() if isinstance(body, PlainAnswer) else body.model_dump_json()


def problem(status: int, title: str, detail: str, request_id: str, errors=(), headers=None) -> func.HttpResponse:
    body = {
        "type": f"urn:creditgate:problem:{title.lower().replace(' ', '-')}",
        "title": title,
        "status": status,
        "detail": detail,
        "errors": [error.as_dict() for error in errors],
        "request_id": request_id,
    }
    return func.HttpResponse(
        json.dumps(body), status_code=status, mimetype=PROBLEM_JSON,
        headers={"X-Request-Id": request_id, **(headers or {})},
    )


def _authenticate(settings: Settings, req: func.HttpRequest) -> Principal:
    authorization = req.headers.get("Authorization", "")
    scheme, _, credentials = authorization.partition(" ")
    bearer = credentials.strip() if scheme.lower() == "bearer" else None
    return accounts.authenticate(settings, bearer=bearer, api_key=req.headers.get("X-API-Key"))


def _app_problem(exc: AppError, rid: str) -> func.HttpResponse:
    status, title = next(_STATUS[kind] for kind in type(exc).__mro__ if kind in _STATUS)
    headers = {"WWW-Authenticate": 'Bearer realm="creditgate"'} if status == 401 else {}
    if exc.retry_after is not None:
        headers["Retry-After"] = str(exc.retry_after)
    return problem(status, title, exc.detail, rid, exc.errors, headers)


def endpoint(*, auth: bool = True, schema_gate: bool = True) -> Callable[[Callable[[ApiRequest], Reply]], Callable[[func.HttpRequest], func.HttpResponse]]:
    def decorate(handler: Callable[[ApiRequest], Reply]) -> Callable[[func.HttpRequest], func.HttpResponse]:
        def http_function(req: func.HttpRequest) -> func.HttpResponse:
            incoming = req.headers.get("X-Request-Id", "")
            rid = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
            token = request_context.request_id.set(rid)
            started = time.perf_counter()
            try:
                settings = config.get_settings()
                if schema_gate:  # health checks the schema itself, beside its other checks
                    revision.require_current_schema()
                call = ApiRequest(req, settings, _authenticate(settings, req) if auth else None)
                if call.principal is not None:
                    request_rate.admit(settings, call.principal.tenant_id)
                reply = handler(call)
                body = _encoded(reply.body) if reply.body is not None else None
                elapsed_ms = (time.perf_counter() - started) * 1000
                return func.HttpResponse(
                    body,
                    status_code=reply.status,
                    mimetype=JSON if reply.body is not None else None,
                    # Server-Timing: clients (and bench/predict.py) see the time spent in the app itself.
                    headers={"X-Request-Id": rid, "Server-Timing": f"app;dur={elapsed_ms:.2f}", **reply.headers},
                )
            except AppError as exc:
                return _app_problem(exc, rid)
            except Exception as exc:
                if faults.is_transient(exc):
                    log.warning("transient fault in %s: %s", handler.__name__, exc, exc_info=True)
                    return _app_problem(Unavailable(TRANSIENT, retry_after=faults.RETRY_AFTER_SECONDS), rid)
                log.exception("unhandled error in %s", handler.__name__)
                return problem(500, "Internal Server Error", "Something went wrong on our side.", rid)
            finally:
                request_context.request_id.reset(token)

        # The Functions worker reads the name and the `req` signature of this function, not the handler's.
        http_function.__name__ = http_function.__qualname__ = handler.__name__
        http_function.__doc__ = handler.__doc__
        return http_function

    return decorate


def _too_large() -> TooLarge:
    return TooLarge(f"The body is larger than {MAX_BODY_BYTES // (1024 * 1024)} MiB.")


@endpoint(auth=False)
def refuse_large_body(call: ApiRequest) -> Reply:
    """The routes' own 413, for a host that refuses a body over MAX_BODY_BYTES before reading it
    (`python -m shared.devhost`); `call` carries the request's headers without its body."""
    raise _too_large()
