"""The OpenAPI document: valid 3.1, faithful to the registered routes, examples that really validate."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap

import azure.functions as func
import jsonschema_rs
import pytest
from jsonschema import Draft202012Validator, FormatChecker
from openapi_spec_validator import OpenAPIV31SpecValidator
from pydantic import TypeAdapter, ValidationError

import function_app
from functions import docs
from functions.http_api import problem
from shared import openapi, swagger_ui
from shared.devhost.bindings import HostOptions
from shared.devhost.catalog import HTTP_TRIGGER, index_functions
from shared.devhost.process import REPO
from shared.errors import FieldError
from shared.schemas.datasets import ITEM_TYPES, CreditLimitItem, OrderFields

METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
DOCUMENT = openapi.document()


def _documented() -> set[tuple[str, str, str]]:
    return {
        (method.upper(), path, operation["operationId"])
        for path, item in DOCUMENT["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    }


def _registered() -> set[tuple[str, str, str]]:
    """(method, OpenAPI path, function name) of every HTTP function; `{v:int}` and `{*v}` become `{v}`."""
    routes = set()
    for spec in index_functions(function_app.app):
        if spec.trigger_type != HTTP_TRIGGER:
            continue
        path = "/" + re.sub(
            r"\{\*?([A-Za-z_][A-Za-z0-9_]*)[^}]*\}", r"{\1}", spec.trigger.get("route") or spec.name
        )
        routes |= {(method.upper(), path, spec.name) for method in spec.trigger["methods"]}
    return routes


def _validator(schema: dict) -> Draft202012Validator:
    """Refs like #/components/schemas/X resolve against the document's components."""
    return Draft202012Validator(
        {**schema, "components": DOCUMENT["components"]}, format_checker=FormatChecker()
    )


def _get(url: str, **route_params: str) -> func.HttpRequest:
    return func.HttpRequest("GET", url, body=b"", route_params=route_params)


def test_document_is_valid_openapi_3_1() -> None:
    assert DOCUMENT["openapi"].startswith("3.1.")
    OpenAPIV31SpecValidator(DOCUMENT).validate()


def test_every_registered_http_route_is_documented_and_nothing_else() -> None:
    registered = _registered()
    assert len(registered) >= 20  # the whole app, not an empty index
    assert _documented() == registered


def test_servers_match_the_host_route_prefix() -> None:
    assert DOCUMENT["servers"] == [{"url": "/" + HostOptions.load(REPO).route_prefix}]


def test_path_parameters_are_declared_with_typed_schemas() -> None:
    for path, item in DOCUMENT["paths"].items():
        for method, operation in item.items():
            declared = [p["name"] for p in operation.get("parameters", []) if p["in"] == "path"]
            assert declared == re.findall(r"\{([^}]+)\}", path), (method, path)
    by_name = {
        p["name"]: p["schema"]
        for item in DOCUMENT["paths"].values()
        for operation in item.values()
        for p in operation.get("parameters", [])
    }
    for name in ("upload_id", "job_id", "key_id", "webhook_id"):
        assert by_name[name] == {"type": "string", "format": "uuid"}
    assert by_name["dataset"]["enum"] == list(ITEM_TYPES)
    assert by_name["version"]["type"] == "integer" and by_name["version"]["minimum"] == 1
    assert (by_name["limit"]["minimum"], by_name["limit"]["maximum"]) == (1, 1000)
    assert by_name["order_id"]["type"] == "string"


def test_operations_have_summaries_json_answers_and_problem_errors() -> None:
    problem_ref = {"$ref": "#/components/schemas/Problem"}
    for item in DOCUMENT["paths"].values():
        for operation in item.values():
            assert operation["summary"] and operation["operationId"]
            answers = operation["responses"]
            assert any(status.startswith("2") for status in answers)
            if "requestBody" in operation:
                assert {"400", "413", "415", "422"} <= set(answers), operation["operationId"]
                assert "examples" in operation["requestBody"]["content"]["application/json"]
            for status, answer in answers.items():
                if int(status) >= 400 and int(status) != 503:
                    assert answer["content"] == {"application/problem+json": {"schema": problem_ref}}


def test_security_public_routes_and_schemes() -> None:
    schemes = DOCUMENT["components"]["securitySchemes"]
    assert schemes["bearerAuth"] == {
        **schemes["bearerAuth"],
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
    }
    assert schemes["apiKeyAuth"] == {
        **schemes["apiKeyAuth"],
        "type": "apiKey",
        "in": "header",
        "name": "X-API-Key",
    }
    assert DOCUMENT["security"] == [{"bearerAuth": []}, {"apiKeyAuth": []}]
    public = {
        operation["operationId"]
        for item in DOCUMENT["paths"].values()
        for operation in item.values()
        if operation.get("security") == []
    }
    assert public == {
        "signup",
        "token",
        "health_check",
        "openapi_document",
        "swagger_ui_page",
        "swagger_ui_asset",
        "console_page",
        "console_file",
    }
    for item in DOCUMENT["paths"].values():
        for operation in item.values():
            answers_401 = operation["operationId"] == "token" or operation["operationId"] not in public
            assert ("401" in operation["responses"]) == answers_401, operation["operationId"]


def test_request_examples_validate_against_the_models_and_the_document() -> None:
    checked = 0
    for op in openapi.OPERATIONS:
        if op.request is None:
            continue
        media = DOCUMENT["paths"][op.path][op.method.lower()]["requestBody"]["content"]["application/json"]
        validator = _validator(media["schema"])
        for name, example in media["examples"].items():
            op.request.model_validate(example["value"])  # the server's own validation, check digits and all
            errors = [error.message for error in validator.iter_errors(example["value"])]
            assert not errors, (op.operation_id, name, errors)
            checked += 1
    assert checked >= 12


def test_batch_examples_are_items_of_the_dataset_they_are_named_after() -> None:
    op = next(op for op in openapi.OPERATIONS if op.operation_id == "receive_batch")
    assert set(op.examples) == set(ITEM_TYPES)
    for dataset, example in op.examples.items():
        TypeAdapter(list[ITEM_TYPES[dataset]]).validate_python(example["items"])


def test_batch_body_documents_all_four_item_schemas() -> None:
    batch = DOCUMENT["components"]["schemas"]["DatasetBatch"]
    items = batch["properties"]["items"]
    assert (items["minItems"], items["maxItems"]) == (1, 500)
    refs = {option["$ref"].rsplit("/", 1)[1] for option in items["items"]["anyOf"]}
    assert refs == {model.__name__ for model in ITEM_TYPES.values()}
    for name in refs:
        assert DOCUMENT["components"]["schemas"][name]["additionalProperties"] is False


def test_the_problem_schema_describes_what_http_api_answers() -> None:
    answer = problem(
        422, "Unprocessable Content", "bad", "rid-1", [FieldError(("items", 3, "amount"), "too small")]
    )
    body = json.loads(answer.get_body())
    assert not list(_validator({"$ref": "#/components/schemas/Problem"}).iter_errors(body))
    assert openapi.Problem.model_validate(body).errors[0].loc == ["items", 3, "amount"]
    assert list(_validator({"$ref": "#/components/schemas/Problem"}).iter_errors({**body, "status": "422"}))


def test_served_document_is_the_cached_document() -> None:
    answer = docs.openapi_document(_get("http://localhost/api/openapi.json"))
    assert answer.status_code == 200 and answer.mimetype == "application/json"
    assert json.loads(answer.get_body()) == DOCUMENT
    assert openapi.document() is DOCUMENT


@pytest.mark.parametrize("url", ["http://localhost:7071/api/docs", "http://localhost:7071/api/docs/"])
def test_docs_page_loads_only_packaged_assets_and_the_document(url: str) -> None:
    answer = docs.swagger_ui_page(_get(url))
    assert answer.status_code == 200 and answer.mimetype == "text/html"
    page = answer.get_body().decode()
    assert '"/api/openapi.json"' in page
    referenced = re.findall(r'(?:href|src)="([^"]+)"', page)
    assert referenced and all(ref.startswith("/api/docs/") for ref in referenced)  # no CDN
    for ref in referenced:
        name = ref.removeprefix("/api/docs/")
        served = docs.swagger_ui_asset(_get(f"http://localhost:7071{ref}", asset=name))
        assert served.status_code == 200, ref
        assert served.mimetype == swagger_ui.ASSETS[name] and len(served.get_body()) > 500
    bundle = docs.swagger_ui_asset(
        _get("http://x/api/docs/swagger-ui-bundle.js", asset="swagger-ui-bundle.js")
    )
    assert b"SwaggerUIBundle" in bundle.get_body()


@pytest.mark.parametrize("name", ["../openapi.py", "swagger-editor-bundle.js", "", "LICENSE"])
def test_unknown_docs_assets_are_404_problems(name: str) -> None:
    answer = docs.swagger_ui_asset(_get(f"http://x/api/docs/{name}", asset=name))
    assert answer.status_code == 404 and answer.mimetype == "application/problem+json"
    assert json.loads(answer.get_body())["status"] == 404


def test_importing_the_app_and_serving_the_document_stays_off_the_ml_stack() -> None:
    """A fresh interpreter: this test process has long imported pandas for other tests."""
    script = textwrap.dedent(
        """
        import json, sys
        import azure.functions as func
        import function_app
        from shared import openapi
        from functions import docs
        heavy = ("pandas", "numpy", "scipy", "sklearn")
        built_at_import = openapi.document.cache_info().currsize
        answer = docs.openapi_document(func.HttpRequest("GET", "http://h/api/openapi.json", body=b""))
        print(json.dumps({"built_at_import": built_at_import, "status": answer.status_code,
                          "heavy": sorted(name for name in sys.modules if name.split(".")[0] in heavy)}))
        """
    )
    run = subprocess.run(
        [sys.executable, "-c", script], check=False, cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout.splitlines()[-1]) == {"built_at_import": 0, "status": 200, "heavy": []}


def test_bodies_may_be_refused_as_unsupported_media_and_work_may_be_deferred_with_retry_after() -> None:
    for path, item in DOCUMENT["paths"].items():
        for operation in item.values():
            answers = operation["responses"]
            assert ("415" in answers) == ("requestBody" in operation), operation["operationId"]
            does_work = "requestBody" in operation or operation.get("security") != []
            for status in ("429", "503"):
                if does_work:
                    assert answers[status]["headers"]["Retry-After"]["required"] is True, (path, status)
                    assert answers[status]["content"] == {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    assert set(DOCUMENT["paths"]["/health"]["get"]["responses"]) == {"200", "503"}
    assert "429" not in DOCUMENT["paths"]["/docs/{asset}"]["get"]["responses"]


def test_only_json_schema_keywords_reach_the_document() -> None:
    """pydantic writes a bound it cannot place (outside a validator) as "ge"/"le": unknown to JSON Schema."""
    def keys(node):
        if isinstance(node, dict):
            for key, value in node.items():
                yield key
                yield from keys(value)
        elif isinstance(node, list):
            for value in node:
                yield from keys(value)

    assert not {"ge", "gt", "le", "lt"} & set(keys(DOCUMENT["components"])) - {"properties"}


ORDER = {"order_id": "O1", "customer_id": "C1", "ordered_at": "2025-01-01T00:00:00Z"}
AGREEMENT_CASES = [
    ("ApiKeyCreate", {"name": "erp\n"}),
    ("ApiKeyCreate", {"name": "\terp"}),
    ("ApiKeyCreate", {"name": " "}),
    ("ApiKeyCreate", {"name": "a" * 100 + " "}),
    ("CommitRequest", {"train": 0}),
    ("CommitRequest", {"train": "true"}),
    ("CommitRequest", {"train": False}),
    ("UploadOpen", {"expected_batches": {"orders": "2"}}),
    ("UploadOpen", {"expected_batches": {"orders": 2.0}}),
    ("UploadOpen", {"expected_batches": {"orders": True}}),
    ("SignupRequest", {"company": "X", "email": "ana@exemplo.test", "password": "p" * 12}),
    ("SignupRequest", {"company": "X", "email": "ana@localhost", "password": "p" * 12}),
    ("SignupRequest", {"company": "X", "email": "ana@exemplo.com.br", "password": " " * 12}),
    *(
        ("OrderFields", {**ORDER, "amount": amount})
        for amount in (0, 0.0, "0", "0.00", "00", "-1", "+5", " 5", "1_000", "1e2", "\u0661", ".5", "0.001",
                       "0.01", "0.5", "1250", "1250.5", "0001250.50", "9999999999999999.99", "10000000000000000",
                       0.01, 1250, 1250.5, 1e16, 0.001)
    ),
    *(
        ("CreditLimitItem", {"customer_id": "C1", "valid_from": "2025-01-01", "limit": limit})
        for limit in (0, "0", "0.00", "-0", "-1", -1, "12.345", "12.34")
    ),
]


@pytest.mark.parametrize(("model", "payload"), AGREEMENT_CASES)
def test_the_document_and_the_server_agree_on_what_is_valid(model: str, payload: dict) -> None:
    """What the OpenAPI document calls valid is exactly what the server's own models take. Patterns
    are ECMA-262 regular expressions, as JSON Schema says (and Schemathesis checks): Python's `re`
    would let "$" match before a final newline."""
    schema = {"$ref": f"#/components/schemas/{model}", "components": DOCUMENT["components"]}
    documented = jsonschema_rs.validator_for(schema).is_valid(payload)
    models = {op.request.__name__: op.request for op in openapi.OPERATIONS if op.request is not None}
    schema_of = {**models, "OrderFields": OrderFields, "CreditLimitItem": CreditLimitItem}[model]
    try:
        schema_of.model_validate(payload)
        taken = True
    except ValidationError:
        taken = False
    assert documented == taken, (model, payload, documented)


def test_amount_is_stated_to_be_more_than_zero_whatever_its_spelling() -> None:
    amount = DOCUMENT["components"]["schemas"]["OrderFields"]["properties"]["amount"]
    number, text = amount["anyOf"]
    assert number["exclusiveMinimum"] == 0 and number["type"] == "number"
    assert text["type"] == "string" and not re.fullmatch(text["pattern"].strip("^$"), "0.00")
