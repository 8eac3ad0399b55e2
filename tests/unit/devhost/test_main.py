"""`python -m shared.devhost` as a process: banner, serving, clean exit on signals, start-up errors."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.services import free_port

REPO_ROOT = Path(__file__).resolve().parents[3]
PROBE_APP = """
import azure.functions as func

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@app.route(route="ping/{name}", methods=["GET"])
def ping(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse("pong " + req.route_params["name"])
"""


def _start(app_dir: Path, *args: str, **env: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "shared.devhost", *args],
        cwd=app_dir,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT), **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _first_line(stream, timeout: float) -> str:
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: lines.put(stream.readline()), daemon=True).start()
    try:
        return lines.get(timeout=timeout)
    except queue.Empty:
        return ""


@pytest.fixture
def app_dir(tmp_path: Path) -> Path:
    (tmp_path / "probe_app.py").write_text(PROBE_APP)
    (tmp_path / "host.json").write_text(
        json.dumps({"version": "2.0", "extensions": {"http": {"routePrefix": "v1"}}})
    )
    return tmp_path


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_serves_until_a_signal_then_exits_cleanly(app_dir, signum):
    port = free_port()
    process = _start(
        app_dir, "--app", "probe_app:app", "--port", str(port), APP_DATA_DIR=str(app_dir / "data")
    )
    try:
        banner = _first_line(process.stdout, timeout=20)
        assert banner == f"CreditGate devhost listening on http://127.0.0.1:{port}/v1\n"
        response = httpx.get(f"http://127.0.0.1:{port}/v1/ping/devhost", timeout=5)
        assert (response.status_code, response.text) == (200, "pong devhost")
        signalled = time.monotonic()
        process.send_signal(signum)
        assert process.wait(timeout=10) == 0
        assert time.monotonic() - signalled < 5
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert "GET /v1/ping/devhost 200" in process.stderr.read()


def test_port_comes_from_the_port_variable(app_dir):
    port = free_port()
    process = _start(app_dir, "--app", "probe_app:app", PORT=str(port), APP_DATA_DIR=str(app_dir / "data"))
    try:
        assert _first_line(process.stdout, timeout=20).rstrip().endswith(f":{port}/v1")
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


@pytest.mark.parametrize(
    ("args", "env", "code", "expected"),
    [
        (["--app", "probe_app:app"], {"MODEL_STORE": "bogus"}, 2, "config error: MODEL_STORE: "),
        (["--app", "probe_app:app"], {"PORT": "http"}, 2, "config error: PORT: not an integer"),
        (["--app", "missing_module:app"], {}, 1, "devhost error: --app missing_module:app: no module named"),
        (["--app", "probe_app:nothing"], {}, 1, "devhost error: --app probe_app:nothing: not a FunctionApp"),
    ],
)
def test_start_up_errors_are_one_line_and_an_exit_code(app_dir, args, env, code, expected):
    process = _start(app_dir, *args, **env)
    _, stderr = process.communicate(timeout=20)
    assert process.returncode == code
    assert len(stderr.splitlines()) == 1, stderr
    assert stderr.startswith(expected)
