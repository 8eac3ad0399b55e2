"""HTTP triggers served by the devhost over real HTTP (waitress on a free 127.0.0.1 port)."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import azure.functions as func
import httpx
import pytest

from shared.config import ConfigError, Settings
from shared.devhost import DevHost, DevHostError
from shared.devhost.bindings import HostOptions


def _json(payload: object, status: int = 200) -> func.HttpResponse:
    return func.HttpResponse(json.dumps(payload), status_code=status, mimetype="application/json")


def _build_app() -> func.FunctionApp:
    bp = func.Blueprint()

    @bp.route(route="uploads/{upload_id}/{dataset}", methods=["POST"])
    def upload_batch(req: func.HttpRequest) -> func.HttpResponse:
        return _json({"handler": "batch", "params": dict(req.route_params)})

    @bp.route(route="uploads/{upload_id}/commit", methods=["POST"])
    def commit_upload(req: func.HttpRequest) -> func.HttpResponse:
        return _json({"handler": "commit", "params": dict(req.route_params)}, status=202)

    @bp.route(route="items/{item_id:int}", methods=["GET", "DELETE"])
    def item_by_id(req: func.HttpRequest) -> func.HttpResponse:
        return _json({"handler": "by-id", "method": req.method, "params": dict(req.route_params)})

    @bp.route(route="items/{name:alpha}", methods=["GET"])
    def item_by_name(req: func.HttpRequest) -> func.HttpResponse:
        return _json({"handler": "by-name", "params": dict(req.route_params)})

    @bp.route(route="jobs/{job_id:guid}")
    def job(req: func.HttpRequest) -> func.HttpResponse:
        return _json({"params": dict(req.route_params)})

    @bp.route(route="reports/{year:int}/{month?}")
    def report(req: func.HttpRequest) -> func.HttpResponse:
        return _json({"params": dict(req.route_params)})

    @bp.route(route="files/{*path}", methods=["GET"])
    def files(req: func.HttpRequest) -> func.HttpResponse:
        return _json({"params": dict(req.route_params)})

    app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)
    app.register_functions(bp)

    @app.route(route="echo", methods=["POST", "PUT"])
    def echo(req: func.HttpRequest) -> func.HttpResponse:
        payload = {
            "method": req.method,
            "url": req.url,
            "params": dict(req.params),
            "api_key": req.headers.get("X-Api-Key"),
            "content_type": req.headers.get("content-type"),
            "body_hex": req.get_body().hex(),
        }
        return func.HttpResponse(
            json.dumps(payload),
            status_code=207,
            headers={"Content-Type": "application/vnd.echo+json", "X-Echo": req.params.get("tag", "")},
        )

    @app.route(route="plain")
    def plain(req: func.HttpRequest) -> func.HttpResponse:
        return func.HttpResponse("olá")

    @app.route(route="html")
    def html(req: func.HttpRequest) -> func.HttpResponse:
        return func.HttpResponse("<p>hi</p>", mimetype="text/html", charset="latin-1")

    @app.route(route="as-string")
    def as_string(req: func.HttpRequest) -> str:
        return "from a str"

    @app.route(route="nothing", methods=["DELETE"])
    def nothing(req: func.HttpRequest) -> None:
        return None

    @app.route(route="loop")
    async def loop_id(req: func.HttpRequest) -> func.HttpResponse:
        await asyncio.sleep(0)
        return _json({"loop": id(asyncio.get_running_loop()), "thread": threading.current_thread().name})

    @app.route(route="thread")
    def thread_name(req: func.HttpRequest) -> func.HttpResponse:
        return func.HttpResponse(threading.current_thread().name)

    @app.route(route="slow")
    def slow(req: func.HttpRequest) -> func.HttpResponse:
        time.sleep(0.4)
        return func.HttpResponse("done")

    @app.route(route="boom")
    def boom(req: func.HttpRequest) -> func.HttpResponse:
        raise RuntimeError("database password=hunter2")

    return app


APP = _build_app()  # one app for many hosts: get_functions() works once per app, the devhost caches it


@pytest.fixture
def host() -> Iterator[DevHost]:
    with DevHost(APP, port=0, settings=Settings(), options=HostOptions(), max_body_bytes=4096) as running:
        yield running


@pytest.fixture
def client(host: DevHost) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=host.url, timeout=10) as http:
        yield http


def _assert_problem(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status and body["title"] and body["detail"] and body["type"]
    return body


def test_url_includes_the_bound_port_and_route_prefix(host):
    assert host.port != 0
    assert host.url == f"http://127.0.0.1:{host.port}/api"


def test_literal_segment_wins_over_a_parameter(client):
    commit = client.post("/uploads/u-1/commit")
    assert commit.status_code == 202
    assert commit.json() == {"handler": "commit", "params": {"upload_id": "u-1"}}
    batch = client.post("/uploads/u-1/orders")
    assert batch.json() == {"handler": "batch", "params": {"upload_id": "u-1", "dataset": "orders"}}


def test_constraints_optional_and_catch_all_parameters(client):
    assert client.get("/items/42").json()["handler"] == "by-id"
    assert client.get("/items/widget").json() == {"handler": "by-name", "params": {"name": "widget"}}
    _assert_problem(client.get("/items/4x2"), 404)
    job_id = str(uuid.uuid4())
    assert client.get(f"/jobs/{job_id}").json() == {"params": {"job_id": job_id}}
    _assert_problem(client.get("/jobs/42"), 404)
    assert client.get("/reports/2024").json() == {"params": {"year": "2024"}}
    assert client.get("/reports/2024/05").json() == {"params": {"year": "2024", "month": "05"}}
    assert client.get("/files/a/b%20c/d.txt").json() == {"params": {"path": "a/b c/d.txt"}}


def test_unknown_route_is_a_404_problem(client, host):
    body = _assert_problem(client.get("/nope"), 404)
    assert "/api/nope" in body["detail"]
    _assert_problem(httpx.post(f"http://127.0.0.1:{host.port}/uploads/u-1/commit"), 404)  # outside the prefix


def test_wrong_method_is_a_405_problem_with_allow(client):
    assert client.delete("/items/7").json()["method"] == "DELETE"
    response = client.put("/items/7")
    _assert_problem(response, 405)
    assert response.headers["allow"] == "DELETE, GET"


def test_request_passes_through_and_response_comes_back(client, host):
    body = bytes(range(256))
    response = client.post(
        "/echo",
        params=[("tag", "t1"), ("a", "1"), ("a", "2"), ("empty", ""), ("name", "joão")],
        headers={"X-Api-Key": "cg_key", "Content-Type": "application/octet-stream"},
        content=body,
    )
    assert response.status_code == 207
    assert response.headers["x-echo"] == "t1"
    assert response.headers["content-type"] == "application/vnd.echo+json"
    echoed = response.json()
    assert echoed["method"] == "POST"
    assert echoed["url"].startswith(f"http://127.0.0.1:{host.port}/api/echo?tag=t1")
    assert echoed["params"] == {"tag": "t1", "a": "1,2", "empty": "", "name": "joão"}
    assert echoed["api_key"] == "cg_key"
    assert echoed["content_type"] == "application/octet-stream"
    assert bytes.fromhex(echoed["body_hex"]) == body


def test_chunked_request_body_reaches_the_function(client):
    parts = [b"first,", b"second"]
    response = client.put("/echo", content=iter(parts))  # an iterator: httpx sends it chunked
    assert bytes.fromhex(response.json()["body_hex"]) == b"".join(parts)


def test_response_content_types_follow_the_worker_rules(client):
    plain = client.get("/plain")
    assert plain.headers["content-type"] == "text/plain; charset=utf-8"
    assert plain.text == "olá"
    html = client.get("/html")
    assert html.headers["content-type"] == "text/html; charset=latin-1"
    assert client.get("/items/1").headers["content-type"] == "application/json"
    as_string = client.get("/as-string")
    assert (as_string.status_code, as_string.text) == (200, "from a str")
    nothing = client.delete("/nothing")
    assert (nothing.status_code, nothing.content) == (204, b"")


def test_async_functions_share_one_event_loop(client):
    first, second = client.get("/loop").json(), client.get("/loop").json()
    assert first["loop"] == second["loop"]
    assert first["thread"] == "devhost-asyncio"


def test_requests_are_served_concurrently(client):
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=4) as pool:
        statuses = list(pool.map(lambda _: client.get("/slow").status_code, range(4)))
    assert statuses == [200] * 4
    assert time.perf_counter() - started < 1.3  # four 0.4 s requests, not one after the other


def test_requests_one_after_another_stay_on_one_thread(client):
    """Its caches hold what the last request used; waitress alone rotates through all 8 threads."""
    served_by = set()
    for _ in range(5):
        served_by.add(client.get("/thread").text)
        time.sleep(0.05)  # the thread is back waiting, among the 7 that waited longer
    assert len(served_by) == 1


def test_exception_is_a_500_problem_without_internals(client, caplog):
    caplog.set_level(logging.ERROR, logger="shared.devhost")
    response = client.get("/boom")
    body = _assert_problem(response, 500)
    assert "hunter2" not in response.text and "Traceback" not in response.text
    assert body["title"] == "Internal Server Error"
    failure = next(record for record in caplog.records if record.exc_info)
    assert "boom" in failure.getMessage() and "hunter2" in str(failure.exc_info[1])


def test_body_over_the_cap_is_a_413_problem(client):
    assert client.post("/echo", content=b"x" * 4096).status_code == 207
    _assert_problem(client.post("/echo", content=b"x" * 4097), 413)


def test_access_log_has_one_line_without_query_or_headers(client, caplog):
    caplog.set_level(logging.INFO, logger="shared.devhost.access")
    client.post("/echo?token=s3cret", headers={"X-Api-Key": "cg_secret_key"}, content=b"{}")
    lines = [record.getMessage() for record in caplog.records if record.name == "shared.devhost.access"]
    assert len(lines) == 1
    method, path, status, elapsed, request_id = lines[0].split(" ")
    assert (method, path, status, request_id) == ("POST", "/api/echo", "207", "request_id=-")
    assert elapsed.endswith("ms") and float(elapsed[:-2]) >= 0
    assert "s3cret" not in lines[0] and "cg_secret_key" not in lines[0]


def test_stop_closes_the_socket(host):
    url = f"{host.url}/plain"
    assert httpx.get(url).status_code == 200
    host.stop()
    with pytest.raises(httpx.ConnectError):
        httpx.get(url, timeout=2)


def test_stop_lets_a_request_in_flight_finish(host):
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = pool.submit(httpx.get, f"{host.url}/slow", timeout=5)
        time.sleep(0.15)  # the request is inside the function now
        host.stop()
        response = pending.result()
    assert (response.status_code, response.text) == (200, "done")


def _app_with(register) -> func.FunctionApp:
    app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)
    register(app)
    return app


def _extra_parameter(app: func.FunctionApp) -> None:
    @app.route(route="x")
    def needs_more(req: func.HttpRequest, other: str) -> func.HttpResponse:
        return func.HttpResponse()


def _output_binding(app: func.FunctionApp) -> None:
    @app.route(route="x")
    @app.queue_output(arg_name="msg", queue_name="q", connection="Storage")
    def queues(req: func.HttpRequest, msg: func.Out[str]) -> func.HttpResponse:
        return func.HttpResponse()


def _bad_constraint(app: func.FunctionApp) -> None:
    @app.route(route="x/{id:nonsense}")
    def constrained(req: func.HttpRequest) -> func.HttpResponse:
        return func.HttpResponse()


def _bad_schedule(app: func.FunctionApp) -> None:
    @app.timer_trigger(schedule="every minute", arg_name="timer")
    def tick(timer: func.TimerRequest) -> None:
        return None


def _queue_trigger(app: func.FunctionApp) -> None:
    @app.queue_trigger(arg_name="msg", queue_name="q", connection="Storage")
    def on_queue(msg: func.QueueMessage) -> None:
        return None


@pytest.mark.parametrize(
    ("register", "message"),
    [
        (_extra_parameter, "needs_more: parameter 'other'"),
        (_output_binding, "queues: queue binding 'msg'"),
        (_bad_constraint, "unsupported constraint 'nonsense'"),
        (_bad_schedule, "'every minute': not a valid NCRONTAB"),
        (_queue_trigger, "on_queue: queueTrigger is not supported"),
    ],
)
def test_functions_the_devhost_cannot_host_faithfully_fail_at_start(register, message):
    with pytest.raises(DevHostError, match=message):
        DevHost(_app_with(register), port=0, settings=Settings(), options=HostOptions())


def test_unset_app_setting_in_a_binding_is_a_config_error():
    def register(app: func.FunctionApp) -> None:
        @app.event_hub_message_trigger(
            arg_name="event", event_hub_name="%NO_SUCH_HUB%", connection="EventHubConnection"
        )
        def on_event(event: func.EventHubEvent) -> None:
            return None

    with pytest.raises(ConfigError, match="NO_SUCH_HUB"):
        DevHost(_app_with(register), port=0, settings=Settings(), options=HostOptions())


def test_port_in_use_is_a_devhost_error(host):
    with pytest.raises(DevHostError, match=f"cannot listen on 127.0.0.1:{host.port}"):
        DevHost(APP, port=host.port, settings=Settings(), options=HostOptions()).start()
