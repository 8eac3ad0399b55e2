"""The OpenAPI 3.1 document of the HTTP API, generated from the pydantic schemas.

`OPERATIONS` is the one route table of the documentation: a row per HTTP function, whose
`operation_id` is the function's name, so a test can hold the table to what `function_app`
registers. Schemas come from the models (never written by hand); errors every route shares
(400/413/415/422 for a body, 401 without credentials, 429 and 503 wherever the service is asked
to work) are added here, so rows list only their own.
The document is built on first use and cached: importing this module costs no start-up time.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, Field, TypeAdapter, create_model
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue, models_json_schema
from pydantic_core import core_schema

from shared.schemas.accounts import (
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyList,
    SignupRequest,
    SignupResponse,
    TokenRequest,
    TokenResponse,
)
from shared.schemas.datasets import ITEM_TYPES, MAX_BATCH_ITEMS, BatchEnvelope, Dataset
from shared.schemas.health import HealthReport
from shared.schemas.models import (
    EvaluateRequest,
    EvaluateResult,
    ModelDetail,
    ModelList,
    PredictionHistory,
    PredictionHistoryQuery,
    PredictionRequest,
    PredictionResponse,
    PredictionSummary,
    PredictionSummaryQuery,
)
from shared.schemas.monitoring import (
    MonitoringAnswer,
    MonitoringQuery,
    RetrainingAnswer,
    RetrainingRule,
    TrainingJobQueued,
    TrainingStart,
)
from shared.schemas.pages import PageQuery
from shared.schemas.reports import ModelReport
from shared.schemas.policy import PolicyAnswer, PolicyDocument
from shared.schemas.uploads import (
    BatchResult,
    CommitRequest,
    CommitResult,
    TrainingJobList,
    TrainingJobStatus,
    UploadCreated,
    UploadList,
    UploadOpen,
    UploadStatus,
)
from shared.console_files import MEDIA_TYPES as CONSOLE_TYPES
from shared.schemas.webhooks import DeliveryAttemptList, WebhookCreate, WebhookCreated, WebhookList
from shared.swagger_ui import ASSETS

OPENAPI_VERSION = "3.1.0"
API_VERSION = "1.0.0"
SERVER_URL = "/api"
JSON = "application/json"
PROBLEM_JSON = "application/problem+json"
REF_TEMPLATE = "#/components/schemas/{model}"
SECURITY_SCHEMES = {
    "bearerAuth": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "The access_token answered by POST /signup or POST /token.",
    },
    "apiKeyAuth": {
        "type": "apiKey",
        "in": "header",
        "name": "X-API-Key",
        "description": "A key made with POST /api-keys (for ERP systems and scripts).",
    },
}


class ProblemError(BaseModel):
    loc: list[str | int] = Field(
        description="Where the error is: body fields and list indexes, outermost first."
    )
    msg: str


class Problem(BaseModel):
    """RFC 9457 problem details, the body of every error answer."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[ProblemError] = Field(
        default=[], description="Every bad field, when the request was invalid."
    )
    request_id: str | None = Field(
        default=None, description="Also in the X-Request-Id header; quote it to support."
    )


AnyItem = Union[tuple(ITEM_TYPES.values())]  # noqa: UP007 (a runtime tuple needs Union[...])
DatasetBatch = create_model(
    "DatasetBatch",
    __base__=BatchEnvelope,
    __doc__=(
        "One numbered batch of a dataset. The item type is the one of the {dataset} in the path: "
        + ", ".join(f"{name} -> {model.__name__}" for name, model in ITEM_TYPES.items())
        + f". More than {MAX_BATCH_ITEMS} items answer 413."
    ),
    items=(Annotated[list[AnyItem], Field(min_length=1, max_length=MAX_BATCH_ITEMS)], ...),
)

PATH_PARAMETERS: dict[str, tuple[Any, str]] = {
    "upload_id": (uuid.UUID, "The upload, as answered by POST /uploads."),
    "dataset": (Dataset, "Which dataset the batch carries."),
    "job_id": (uuid.UUID, "The training job, as answered by the commit."),
    "key_id": (uuid.UUID, "The API key's id."),
    "webhook_id": (uuid.UUID, "The webhook's id, as answered by POST /webhooks."),
    # The route's `int` constraint: other values are not routed to the function at all.
    "version": (Annotated[int, Field(ge=1, le=2**31 - 1)], "The company's model version number."),
    "asset": (Literal[tuple(ASSETS)], "A file of the bundled Swagger UI."),
    "path": (str, "A built file of the console (`assets/...`), or one of its pages (`models/3`)."),
}
_PATH_PARAMETER = re.compile(r"\{([^}]+)\}")

# Errors implied by the shape of an operation, with what they mean there.
BODY_ERRORS = {
    400: "The body is not JSON (or is nested too deeply).",
    413: "The body is larger than 5 MiB.",
    415: "The body is not application/json (a request without a body needs no Content-Type).",
    422: "The body does not match the schema; `errors` lists every bad field, and nothing was written.",
}
QUERY_ERRORS = {422: "A query parameter is invalid; `errors` lists them."}
AUTH_ERRORS = {401: "No valid bearer token or X-API-Key."}
# Every operation that does work for a caller (a body to act on or an account to act for) can be
# turned away by a rate limit or a passing fault of the database or storage; the page routes cannot.
SERVICE_ERRORS = {
    429: "Too many requests; try again after Retry-After seconds.",
    503: "A passing fault of the database or storage, or the schema is behind; retry after Retry-After seconds.",
}
RETRY_AFTER = {
    "description": "Seconds to wait before retrying.",
    "required": True,
    "schema": {"type": "integer", "minimum": 0},
}
ERROR_HEADERS: dict[int, dict[str, Any]] = {
    401: {"WWW-Authenticate": {"schema": {"type": "string"}}},
    429: {"Retry-After": RETRY_AFTER},
    503: {"Retry-After": RETRY_AFTER},
}


@dataclass(frozen=True)
class Answer:
    description: str
    model: type[BaseModel] | None = None
    schema: Mapping[str, Any] | None = None  # a body that is not a model (HTML, files, the document)
    media_types: tuple[str, ...] = (JSON,)


@dataclass(frozen=True)
class Operation:
    operation_id: str
    method: str
    path: str
    summary: str
    tag: str
    answers: Mapping[int, Answer]
    request: type[BaseModel] | None = None
    body_required: bool = True
    query: type[BaseModel] | None = None
    public: bool = False
    errors: Mapping[int, str] = field(default_factory=dict)  # beyond the implied ones
    examples: Mapping[str, Any] = field(default_factory=dict)  # request body examples by name
    description: str | None = None

    @property
    def path_parameters(self) -> list[str]:
        return _PATH_PARAMETER.findall(self.path)

    def all_errors(self) -> dict[int, str]:
        implied = {
            **(BODY_ERRORS if self.request else {}),
            **(QUERY_ERRORS if self.query else {}),
            **({} if self.public else AUTH_ERRORS),
            **(SERVICE_ERRORS if self.request or not self.public else {}),
        }
        return dict(sorted({**implied, **self.errors}.items()))


def _order(
    order_id: str,
    customer_id: str,
    at: str,
    amount: float,
    term: int,
    channel: str,
    invoiced: bool,
    **attributes,
) -> dict:
    return {
        "order_id": order_id,
        "customer_id": customer_id,
        "ordered_at": at,
        "amount": amount,
        "payment_term_days": term,
        "channel": channel,
        "attributes": attributes,
        "invoiced": invoiced,
    }


_ORDERS = [
    _order(
        "PV-2025-018734",
        "C-1001",
        "2025-03-10T14:32:00-03:00",
        18450.90,
        28,
        "sales_rep",
        True,
        discount_pct=3.5,
        rush=False,
    ),
    _order(
        "PV-2025-018735",
        "C-2087",
        "2025-03-10T16:05:00-03:00",
        92000.00,
        60,
        "ecommerce",
        False,
        discount_pct=0,
        rush=True,
    ),
    _order(
        "PV-2025-018736",
        "C-1001",
        "2025-03-11T09:12:00Z",
        4210.00,
        0,
        "edi",
        True,
        discount_pct=0,
        rush=False,
    ),
]
_UNLABELED = [{key: value for key, value in order.items() if key != "invoiced"} for order in _ORDERS]
_BATCHES = {
    "customers": [
        {
            "customer_id": "C-1001",
            "document": "11.222.333/0001-81",
            "name": "Mercado Bom Preço Ltda",
            "segment": "varejo",
            "state": "SP",
            "customer_since": "2019-03-01",
            "attributes": {"sector": "food", "employees": 42},
        },
        {
            "customer_id": "C-2087",
            "document": "529.982.247-25",
            "name": "João Andrade ME",
            "state": "MG",
            "customer_since": "2024-08-15",
        },
    ],
    "credit_limits": [
        {"customer_id": "C-1001", "limit": 50000.00, "valid_from": "2025-01-01", "valid_until": "2025-12-31"},
        {"customer_id": "C-2087", "limit": 15000.00, "valid_from": "2024-09-01"},
    ],
    "serasa_queries": [
        {
            "customer_id": "C-1001",
            "queried_at": "2025-02-20T10:00:00-03:00",
            "score": 812,
            "negative_records": 0,
            "negative_amount": 0,
            "protests": 0,
            "protests_amount": 0,
            "bounced_checks": 0,
            "lawsuits": 0,
            "bankruptcy_filings": 0,
            "attributes": {"inquiries_90d": 2},
        },
        {
            "customer_id": "C-2087",
            "queried_at": "2025-03-01T08:30:00Z",
            "score": 391,
            "negative_records": 3,
            "negative_amount": 12890.45,
            "protests": 1,
            "protests_amount": 3200.00,
            "bounced_checks": 2,
            "lawsuits": 0,
            "bankruptcy_filings": 0,
        },
    ],
    "orders": _ORDERS,
}

_ITEM_ERRORS = {
    413: f"The body is larger than 5 MiB, or carries more than {MAX_BATCH_ITEMS} items.",
    404: "No such upload (or another company's), or the dataset is not one of the four.",
    409: "This batch number was already received with other items, or the upload is committed.",
}

OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "signup",
        "POST",
        "/signup",
        "Create a company and its first user",
        "accounts",
        {201: Answer("The company, its user and a bearer token.", SignupResponse)},
        request=SignupRequest,
        public=True,
        errors={409: "The email is taken."},
        examples={
            "signup": {
                "company": "Distribuidora Andrade Ltda",
                "email": "financeiro@andrade.com.br",
                "password": "cavalo correto bateria grampo",
            }
        },
    ),
    Operation(
        "token",
        "POST",
        "/token",
        "Get a bearer token",
        "accounts",
        {200: Answer("A bearer token.", TokenResponse)},
        request=TokenRequest,
        public=True,
        errors={401: "Email or password is wrong."},
        examples={
            "login": {"email": "financeiro@andrade.com.br", "password": "cavalo correto bateria grampo"}
        },
    ),
    Operation(
        "create_api_key",
        "POST",
        "/api-keys",
        "Create an API key",
        "accounts",
        {201: Answer("The key; its secret is shown this once.", ApiKeyCreated)},
        request=ApiKeyCreate,
        examples={"erp": {"name": "ERP Protheus - integração"}},
    ),
    Operation(
        "list_api_keys",
        "GET",
        "/api-keys",
        "List the company's API keys (without secrets)",
        "accounts",
        {200: Answer("The keys.", ApiKeyList)},
    ),
    Operation(
        "revoke_api_key",
        "DELETE",
        "/api-keys/{key_id}",
        "Revoke an API key",
        "accounts",
        {204: Answer("Revoked.")},
        errors={404: "No such API key."},
    ),
    Operation(
        "open_upload",
        "POST",
        "/uploads",
        "Open an upload session",
        "uploads",
        {201: Answer("The upload is open for batches.", UploadCreated)},
        request=UploadOpen,
        body_required=False,
        examples={
            "declared": {
                "expected_batches": {"customers": 1, "credit_limits": 1, "serasa_queries": 2, "orders": 12}
            },
            "open-ended": {},
        },
    ),
    Operation(
        "list_uploads",
        "GET",
        "/uploads",
        "List the company's uploads",
        "uploads",
        {200: Answer("Newest first, each as GET /uploads/{upload_id} answers it.", UploadList)},
        query=PageQuery,
    ),
    Operation(
        "upload_status",
        "GET",
        "/uploads/{upload_id}",
        "Read an upload's progress",
        "uploads",
        {200: Answer("Status and per-dataset batch and item counts.", UploadStatus)},
        errors={404: "No such upload."},
    ),
    Operation(
        "commit_upload",
        "POST",
        "/uploads/{upload_id}/commit",
        "Commit an upload (and train)",
        "uploads",
        {202: Answer("Committed; training runs in the background unless train is false.", CommitResult)},
        request=CommitRequest,
        body_required=False,
        errors={404: "No such upload.", 422: "The body is invalid, or rows reference customers never sent."},
        examples={"train": {"train": True}, "store only": {"train": False}},
    ),
    Operation(
        "receive_batch",
        "POST",
        "/uploads/{upload_id}/{dataset}",
        "Send one batch of a dataset",
        "uploads",
        {200: Answer("Written atomically (all items or none); a resent batch changes nothing.", BatchResult)},
        request=DatasetBatch,
        errors=_ITEM_ERRORS,
        examples={name: {"batch": 1, "items": items} for name, items in _BATCHES.items()},
        description="Items are upserted by their dataset's key. Each example is named after its dataset.",
    ),
    Operation(
        "list_training_jobs",
        "GET",
        "/training-jobs",
        "List the company's training jobs",
        "training",
        {200: Answer("Newest first, each as GET /training-jobs/{job_id} answers it.", TrainingJobList)},
        query=PageQuery,
    ),
    Operation(
        "training_job_status",
        "GET",
        "/training-jobs/{job_id}",
        "Read a training job",
        "training",
        {200: Answer("The job's state and, once it succeeded, its model version.", TrainingJobStatus)},
        errors={404: "No such training job."},
    ),
    Operation(
        "list_models",
        "GET",
        "/models",
        "List model versions",
        "models",
        {200: Answer("Newest first.", ModelList)},
    ),
    Operation(
        "get_model",
        "GET",
        "/models/{version}",
        "Read a model version",
        "models",
        {
            200: Answer(
                "Holdout metrics, candidate leaderboard, features, row counts and data time range.",
                ModelDetail,
            )
        },
        errors={404: "No such model version."},
    ),
    Operation(
        "activate_model",
        "POST",
        "/models/{version}/activate",
        "Make a version the one that answers predictions",
        "models",
        {200: Answer("The version, now active.", ModelDetail)},
        errors={404: "No such model version."},
    ),
    Operation(
        "evaluate_model",
        "POST",
        "/models/{version}/evaluate",
        "Test a version on labeled orders",
        "models",
        {200: Answer("The holdout metrics, computed on these orders.", EvaluateResult)},
        request=EvaluateRequest,
        errors={404: "No such model version."},
        examples={"labeled orders": {"orders": _ORDERS}},
    ),
    Operation(
        "model_report",
        "GET",
        "/models/{version}/report",
        "Read a model version's holdout report",
        "models",
        {
            200: Answer(
                "ROC, PR and KS curves, score histogram, calibration, feature importance, the automation "
                "against precision trade-off, and the decisions of the cutoffs in force, on the holdout.",
                ModelReport,
            )
        },
        errors={404: "No such model version, or it was trained before reports existed (retrain)."},
    ),
    Operation(
        "create_webhook",
        "POST",
        "/webhooks",
        "Register a webhook",
        "webhooks",
        {201: Answer("The webhook; its signing secret is shown this once.", WebhookCreated)},
        request=WebhookCreate,
        errors={
            409: "The company already has the most webhooks it may have.",
            422: "The body is invalid, or the URL is refused (`url`: not https, or it resolves to a private, "
            "loopback, link-local or reserved address, outside local development).",
        },
        examples={"erp": {"url": "https://erp.andrade.com.br/creditgate/events", "events": ["model.activated"]}},
        description="Each event is POSTed as JSON `{\"id\", \"type\", \"created_at\", \"data\"}` with "
        "`CreditGate-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of \"<t>.<body>\" with the secret>`; "
        "an answer other than 2xx is retried with exponential backoff for 24 hours.",
    ),
    Operation(
        "list_webhooks",
        "GET",
        "/webhooks",
        "List the company's webhooks (without secrets)",
        "webhooks",
        {200: Answer("The webhooks, oldest first.", WebhookList)},
    ),
    Operation(
        "delete_webhook",
        "DELETE",
        "/webhooks/{webhook_id}",
        "Delete a webhook",
        "webhooks",
        {204: Answer("Deleted; what was queued for it is not sent.")},
        errors={404: "No such webhook."},
    ),
    Operation(
        "list_webhook_deliveries",
        "GET",
        "/webhooks/{webhook_id}/deliveries",
        "The webhook's delivery log",
        "webhooks",
        {200: Answer("Every delivery attempt, newest first.", DeliveryAttemptList)},
        query=PageQuery,
        errors={404: "No such webhook."},
    ),
    Operation(
        "predict",
        "POST",
        "/predictions",
        "Decide: invoice, send to review or hold",
        "predictions",
        {200: Answer("Per order a decision, the policy rules that fired, probability, score and reasons.",
                     PredictionResponse)},
        request=PredictionRequest,
        errors={
            404: "model_version names no version of this company.",
            409: "The company has no active model yet.",
        },
        examples={
            "new orders": {"orders": _UNLABELED},
            "pinned version": {"orders": _UNLABELED[:1], "model_version": 3},
        },
    ),
    Operation(
        "prediction_history",
        "GET",
        "/predictions",
        "Past decisions, newest first",
        "predictions",
        {200: Answer("The decisions.", PredictionHistory)},
        query=PredictionHistoryQuery,
    ),
    Operation(
        "prediction_summary",
        "GET",
        "/predictions/summary",
        "Decisions per day or week: count, mix, amounts and mean score",
        "predictions",
        {200: Answer("One item per bucket that has decisions, oldest first.", PredictionSummary)},
        query=PredictionSummaryQuery,
    ),
    Operation(
        "get_monitoring",
        "GET",
        "/monitoring",
        "Per model version and day or week: decisions, realized metrics from outcomes, drift",
        "monitoring",
        {200: Answer("Versions that decided in the window (or the one asked for), buckets oldest first; "
                     "features by PSI, highest first.", MonitoringAnswer)},
        query=MonitoringQuery,
        errors={404: "model_version names no version of this company."},
        description="An outcome is the `invoiced` label a later upload gave a decided order. Every figure carries "
        "the count it rests on (`n`). AUC and KS come from scores binned in 1,000 bins (within 0.01 of exact). "
        "Everything is counted per day (UTC): `from` and `to` select the whole days they touch.",
    ),
    Operation(
        "get_retraining",
        "GET",
        "/retraining",
        "The company's retraining rule",
        "monitoring",
        {200: Answer("The rule; updated_at is null while it is the default (train on commits only).", RetrainingAnswer)},
    ),
    Operation(
        "put_retraining",
        "PUT",
        "/retraining",
        "Set the company's retraining rule",
        "monitoring",
        {200: Answer("The saved rule.", RetrainingAnswer)},
        request=RetrainingRule,
        body_required=False,
        examples={"weekly or on drift": {"min_new_labeled": 500, "max_model_age_days": 7, "on_drift": True,
                                         "auto_activate": "if_better"}},
        description="A timer (RETRAINING_SCHEDULE, hourly) checks it and queues training with reason `new_labels`, "
        "`age` or `drift`; each fires once per occasion. Omitted fields (or no body) take their defaults.",
    ),
    Operation(
        "start_training",
        "POST",
        "/training-jobs",
        "Start a training by hand",
        "training",
        {202: Answer("Queued with reason `manual` (or the company's job already waiting).", TrainingJobQueued)},
        request=TrainingStart,
        body_required=False,
        errors={409: "Nothing to train on yet: no upload was committed."},
        examples={"empty": {}},
    ),
    Operation(
        "get_policy",
        "GET",
        "/policy",
        "The decision policy in force",
        "policy",
        {200: Answer("The policy, its version (0: the default) and the cutoffs in force.", PolicyAnswer)},
    ),
    Operation(
        "put_policy",
        "PUT",
        "/policy",
        "Save a new version of the decision policy",
        "policy",
        {200: Answer("The saved policy, its new version and the cutoffs in force.", PolicyAnswer)},
        request=PolicyDocument,
        examples={
            "precision targets": {"targets": {"invoice_precision": 0.95, "hold_precision": 0.8},
                                  "rules": {"new_customer": "review", "bankruptcy": "hold"}},
            "fixed cutoffs": {
                "cutoffs": {"invoice_at": 0.72, "hold_below": 0.25}, "targets": None,
                "rules": {"new_customer": "review", "no_limit": "review", "over_limit": "review",
                          "bankruptcy": "hold", "stale_bureau": "off", "max_amount": "off"},
                "stale_bureau_days": 180, "max_amount": None,
            },
        },
        description="Exactly one of `cutoffs` and `targets`. Rules each `hold`, `review` or `off`, applied before "
        "the model; the strongest action wins. Orders of unknown customers or outside the training data's "
        "support are reviewed at least, whatever the policy says.",
    ),
    Operation(
        "health_check",
        "GET",
        "/health",
        "Readiness of the database and the model store",
        "operations",
        {200: Answer("Ready.", HealthReport)},
        public=True,
        errors={
            503: "Not ready: `errors` names each failed check (`database`: unreachable or its schema behind "
            "the code's migrations, with the fix; `model_store`: cannot be written and read back)."
        },
    ),
    Operation(
        "openapi_document",
        "GET",
        "/openapi.json",
        "This document",
        "operations",
        {200: Answer("OpenAPI 3.1.", schema={"type": "object", "required": ["openapi", "info", "paths"]})},
        public=True,
    ),
    Operation(
        "swagger_ui_page",
        "GET",
        "/docs",
        "Interactive documentation (Swagger UI)",
        "operations",
        {200: Answer("The page.", schema={"type": "string"}, media_types=("text/html",))},
        public=True,
    ),
    Operation(
        "swagger_ui_asset",
        "GET",
        "/docs/{asset}",
        "A file of the Swagger UI page",
        "operations",
        {200: Answer("The file.", schema={}, media_types=tuple(sorted(set(ASSETS.values()))))},
        public=True,
        errors={404: "No such file."},
    ),
    Operation(
        "console_page",
        "GET",
        "/console",
        "The console: the web page for a company's credit team",
        "operations",
        {200: Answer("The page.", schema={"type": "string"}, media_types=("text/html",))},
        public=True,
        errors={404: "The console is not built (`make console`)."},
    ),
    Operation(
        "console_file",
        "GET",
        "/console/{path}",
        "A file of the console, or one of its pages (answered with the console itself)",
        "operations",
        {200: Answer("The file or the page.", schema={}, media_types=tuple(sorted(set(CONSOLE_TYPES.values()))))},
        public=True,
        errors={404: "No such file under assets/, or the console is not built."},
    ),
)


class SchemaGenerator(GenerateJsonSchema):
    """pydantic's generator, stating a rule its validators enforce that the default leaves out."""

    def dict_schema(self, schema: core_schema.DictSchema) -> JsonSchemaValue:
        json_schema = super().dict_schema(schema)
        if "patternProperties" in json_schema:  # attribute names: a key not matching the pattern is an error
            json_schema.setdefault("additionalProperties", False)
        return json_schema


def _schema_of(annotation: Any) -> dict[str, Any]:
    return TypeAdapter(annotation).json_schema(ref_template=REF_TEMPLATE, schema_generator=SchemaGenerator)


def _without_null(schema: dict[str, Any]) -> dict[str, Any]:
    """An optional query parameter is absent, never null: drop the null alternative."""
    options = [option for option in schema.get("anyOf", ()) if option.get("type") != "null"]
    if len(options) != 1:
        return schema
    rest = {
        key: value
        for key, value in schema.items()
        if key != "anyOf" and not (key == "default" and value is None)
    }
    return {**options[0], **rest}


def _parameters(op: Operation) -> list[dict[str, Any]]:
    parameters = [
        {
            "name": name,
            "in": "path",
            "required": True,
            "description": PATH_PARAMETERS[name][1],
            "schema": _schema_of(PATH_PARAMETERS[name][0]),
        }
        for name in op.path_parameters
    ]
    if op.query is not None:
        schema = op.query.model_json_schema(ref_template=REF_TEMPLATE, schema_generator=SchemaGenerator)
        required = set(schema.get("required", ()))
        parameters += [
            {"name": name, "in": "query", "required": name in required, "schema": _without_null(prop)}
            for name, prop in schema["properties"].items()
        ]
    return parameters


def _answer(answer: Answer, refs: Mapping[type[BaseModel], dict[str, str]]) -> dict[str, Any]:
    if answer.model is None and answer.schema is None:
        return {"description": answer.description}
    schema = refs[answer.model] if answer.model is not None else dict(answer.schema or {})
    return {
        "description": answer.description,
        "content": {media: {"schema": schema} for media in answer.media_types},
    }


def _operation(
    op: Operation, requests: Mapping[type[BaseModel], dict], responses: Mapping[type[BaseModel], dict]
) -> dict[str, Any]:
    document: dict[str, Any] = {"operationId": op.operation_id, "summary": op.summary, "tags": [op.tag]}
    if op.description:
        document["description"] = op.description
    if parameters := _parameters(op):
        document["parameters"] = parameters
    if op.request is not None:
        media: dict[str, Any] = {"schema": requests[op.request]}
        if op.examples:
            media["examples"] = {name: {"value": value} for name, value in op.examples.items()}
        document["requestBody"] = {"required": op.body_required, "content": {JSON: media}}
    answers = {str(status): _answer(answer, responses) for status, answer in op.answers.items()}
    problem = {PROBLEM_JSON: {"schema": responses[Problem]}}
    for status, description in op.all_errors().items():
        answers[str(status)] = {"description": description, "content": problem}
        if status in ERROR_HEADERS:
            answers[str(status)]["headers"] = ERROR_HEADERS[status]
    document["responses"] = answers
    if op.public:
        document["security"] = []
    return document


@cache
def document() -> dict[str, Any]:
    """The OpenAPI document; callers must not change it (it is shared)."""
    requests = {op.request for op in OPERATIONS if op.request is not None}
    responses = {Problem} | {
        answer.model for op in OPERATIONS for answer in op.answers.values() if answer.model
    }
    keys = [(model, "validation") for model in requests] + [(model, "serialization") for model in responses]
    keys.sort(key=lambda key: (key[0].__name__, key[1]))  # a stable document for diffs and caches
    refs, definitions = models_json_schema(keys, ref_template=REF_TEMPLATE, schema_generator=SchemaGenerator)
    request_refs = {model: refs[(model, "validation")] for model in requests}
    response_refs = {model: refs[(model, "serialization")] for model in responses}
    paths: dict[str, dict[str, Any]] = {}
    for op in OPERATIONS:
        paths.setdefault(op.path, {})[op.method.lower()] = _operation(op, request_refs, response_refs)
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "CreditGate",
            "version": API_VERSION,
            "description": "Learns from a company's own order history whether an order should be invoiced "
            "or held for credit review, and answers that for new orders with reasons.",
        },
        "servers": [{"url": SERVER_URL}],
        "security": [{name: []} for name in SECURITY_SCHEMES],
        "tags": [{"name": tag} for tag in dict.fromkeys(op.tag for op in OPERATIONS)],
        "paths": paths,
        "components": {"schemas": definitions.get("$defs", {}), "securitySchemes": SECURITY_SCHEMES},
    }


@cache
def document_json() -> bytes:
    return json.dumps(document(), ensure_ascii=False).encode()
