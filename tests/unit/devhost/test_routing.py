"""Route templates and precedence, as the Functions host (ASP.NET Core routing) resolves them."""

from __future__ import annotations

import uuid

import pytest

from shared.devhost.errors import DevHostError
from shared.devhost.routing import MethodNotAllowed, RouteMatch, RouteTable, RouteTemplate


@pytest.mark.parametrize(
    ("template", "path", "expected"),
    [
        ("api/uploads/{upload_id}", "/api/uploads/u-1", {"upload_id": "u-1"}),
        ("api/uploads/{upload_id}", "/API/Uploads/u-1/", {"upload_id": "u-1"}),  # literals ignore case
        ("api/uploads/{upload_id}", "/api/uploads", None),
        ("api/uploads/{upload_id}", "/api/uploads/a/b", None),
        ("api/items/{id:int}", "/api/items/-42", {"id": "-42"}),
        ("api/items/{id:int}", "/api/items/2147483648", None),  # beyond Int32
        ("api/items/{id:long}", "/api/items/2147483648", {"id": "2147483648"}),
        ("api/items/{id:int}", "/api/items/4x", None),
        ("api/names/{name:alpha}", "/api/names/Widget", {"name": "Widget"}),
        ("api/names/{name:alpha}", "/api/names/w1dget", None),
        ("api/flags/{on:bool}", "/api/flags/TRUE", {"on": "TRUE"}),
        ("api/flags/{on:bool}", "/api/flags/yes", None),
        ("api/pages/{n:int:min(1)}", "/api/pages/0", None),
        ("api/pages/{n:int:min(1)}", "/api/pages/3", {"n": "3"}),
        ("api/pages/{n:range(1,3)}", "/api/pages/4", None),
        ("api/codes/{code:length(2)}", "/api/codes/SP", {"code": "SP"}),
        ("api/codes/{code:length(2)}", "/api/codes/SPX", None),
        ("api/reports/{year:int}/{month?}", "/api/reports/2024", {"year": "2024"}),
        ("api/reports/{year:int}/{month?}", "/api/reports/2024/05", {"year": "2024", "month": "05"}),
        ("api/limit/{n=10}", "/api/limit", {"n": "10"}),
        ("api/limit/{n=10}", "/api/limit/3", {"n": "3"}),
        ("api/files/{*path}", "/api/files/a/b/c.txt", {"path": "a/b/c.txt"}),
        ("api/files/{*path}", "/api/files", {}),
        ("api/files/{file}.{ext}", "/api/files/report.tar.gz", {"file": "report.tar", "ext": "gz"}),
        ("", "/", {}),
    ],
)
def test_template_matches_like_the_functions_host(template, path, expected):
    assert RouteTemplate(template).match(path) == expected


def test_guid_constraint_accepts_guids_only():
    template = RouteTemplate("api/jobs/{job_id:guid}")
    job_id = str(uuid.uuid4())
    assert template.match(f"/api/jobs/{job_id}") == {"job_id": job_id}
    assert template.match(f"/api/jobs/{job_id.upper()}") == {"job_id": job_id.upper()}
    assert template.match("/api/jobs/not-a-guid") is None


@pytest.mark.parametrize(
    "template",
    [
        "api/{id:regex(^a$)}",
        "api/{id:nope}",
        "api/{id:int(3)}",
        "api/{id}/{ID}",
        "api/{bad name}",
        "api/x{y?}",
        "api/a}",
    ],
)
def test_unsupported_or_invalid_templates_fail_at_start(template):
    with pytest.raises(DevHostError, match="route"):
        RouteTemplate(template)


@pytest.mark.parametrize("order", [1, -1])
def test_literal_segments_win_over_parameters_whatever_the_registration_order(order):
    table: RouteTable[str] = RouteTable()
    routes = [
        ("api/uploads/{upload_id}/{dataset}", "batch"),
        ("api/uploads/{upload_id}/commit", "commit"),
        ("api/uploads/{upload_id:guid}/{dataset}", "batch-guid"),
        ("api/uploads/{*rest}", "catch-all"),
    ]
    for template, target in routes[::order]:
        table.add(template, ["POST"], target)
    guid = str(uuid.uuid4())
    assert table.resolve("POST", "/api/uploads/u1/commit") == RouteMatch("commit", {"upload_id": "u1"})
    assert table.resolve("POST", "/api/uploads/u1/orders") == RouteMatch(
        "batch", {"upload_id": "u1", "dataset": "orders"}
    )
    assert table.resolve("POST", f"/api/uploads/{guid}/orders") == RouteMatch(
        "batch-guid", {"upload_id": guid, "dataset": "orders"}
    )
    assert table.resolve("POST", "/api/uploads/u1/orders/extra") == RouteMatch(
        "catch-all", {"rest": "u1/orders/extra"}
    )


def test_methods_select_among_routes_and_report_what_is_allowed():
    table: RouteTable[str] = RouteTable()
    table.add("api/items/{id}", ["get"], "read")
    table.add("api/items/{id}", ["DELETE", "PATCH"], "change")
    table.add("api/any", None, "any")
    assert table.resolve("GET", "/api/items/1") == RouteMatch("read", {"id": "1"})
    assert table.resolve("patch", "/api/items/1") == RouteMatch("change", {"id": "1"})
    assert table.resolve("PUT", "/api/items/1") == MethodNotAllowed(("DELETE", "GET", "PATCH"))
    assert table.resolve("OPTIONS", "/api/any") == RouteMatch("any", {})
    assert table.resolve("GET", "/api/missing") is None
