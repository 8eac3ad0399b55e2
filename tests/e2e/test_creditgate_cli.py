"""The `creditgate` client as a user runs it (`python -m creditgate` in a subprocess) against a real
devhost: files in every format, a killed upload resumed, refusals ridden out, bad files named by row
and column, decisions for a thousand orders, and `--json` that parses."""

from __future__ import annotations

import csv
import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from shared.sample_data import DATASETS, generate
from tests.e2e.flaky_proxy import FlakyProxy

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_ORDERS = 1200
FILES = [f"{dataset}.{{kind}}" for dataset in DATASETS]


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> dict[str, Path]:
    """The sample company as CSV (`;`, decimal commas), JSON lines and Parquet (written by pandas)."""
    root = tmp_path_factory.mktemp("sample")
    tenant = generate(SAMPLE_ORDERS, seed=3)
    tenant.write(root / "csv", "csv")
    tenant.write(root / "jsonl", "jsonl")
    (root / "parquet").mkdir()
    for dataset in DATASETS:
        getattr(tenant, dataset).to_parquet(root / "parquet" / f"{dataset}.parquet")
    return {"root": root, "counts": {dataset: len(getattr(tenant, dataset)) for dataset in DATASETS}}


def files(sample, kind: str) -> list[str]:
    return [str(sample["root"] / kind / name.format(kind=kind)) for name in FILES]


class Cli:
    """`creditgate` with its own config and state directories, signed in as one fresh company."""

    def __init__(self, url: str, home: Path, token: str | None = None):
        self.env = {
            **{name: value for name, value in os.environ.items() if not name.startswith("CREDITGATE_")},
            "CREDITGATE_URL": url,
            "XDG_CONFIG_HOME": str(home / "config"),
            "XDG_STATE_HOME": str(home / "state"),
            "PYTHONPATH": str(ROOT),
        }
        if token:
            self.env["CREDITGATE_TOKEN"] = token
        self.state = home / "state" / "creditgate" / "uploads"

    def command(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "creditgate", *args]

    def run(self, *args: str, expect: int = 0, timeout: float = 240) -> subprocess.CompletedProcess:
        done = subprocess.run(self.command(*args), env=self.env, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
        assert done.returncode == expect, f"exit {done.returncode}\n{done.stdout}\n{done.stderr}"
        return done

    def json(self, *args: str, expect: int = 0) -> dict:
        return json.loads(self.run(*args, "--json", expect=expect).stdout)


@pytest.fixture
def cli(devhost, tmp_path) -> Cli:
    token = devhost.signup()["Authorization"].removeprefix("Bearer ")
    return Cli(devhost.url, tmp_path, token)


def expected_status(counts: dict[str, int]) -> dict[str, dict[str, int]]:
    return {dataset: {"batches": math.ceil(n / 500), "items": n} for dataset, n in counts.items()}


def counts_of(status: dict) -> dict[str, dict[str, int]]:
    return {dataset: {"batches": p["batches"], "items": p["items"]} for dataset, p in status["datasets"].items()}


@pytest.mark.parametrize("kind", ["csv", "jsonl", "parquet"])
def test_the_sample_company_from_each_file_format_gives_the_same_row_counts(devhost, sample, tmp_path, kind):
    cli = Cli(devhost.url, tmp_path, devhost.signup()["Authorization"].removeprefix("Bearer "))
    status = cli.json("upload", *files(sample, kind), "--commit", "--no-train")
    assert status["status"] == "committed" and status["training_job_id"] is None
    assert counts_of(status) == expected_status(sample["counts"])
    assert not list(cli.state.glob("*.json")), "a committed upload leaves no state behind"


def test_a_rerun_after_killing_the_upload_midway_continues_the_same_upload_with_exact_counts(devhost, sample, cli):
    with FlakyProxy(devhost.url, delay=0.15) as proxy:
        cli.env["CREDITGATE_URL"] = proxy.url
        upload = subprocess.Popen(cli.command("upload", *files(sample, "csv"), "--commit", "--no-train"), env=cli.env, cwd=ROOT)
        state = _wait_for_state(cli, upload, lambda accepted: accepted.get("orders", 0) >= 1)
        assert upload.poll() is None, "the upload finished before it could be killed"
        upload.send_signal(signal.SIGKILL)
        upload.wait(10)
        before = [request for request in proxy.requests if request[1] == "POST" and "/orders" in request[2]]
        assert 1 <= len(before) < math.ceil(SAMPLE_ORDERS / 500)
        proxy.delay = 0
        status = cli.json("upload", *files(sample, "csv"), "--commit", "--no-train")
    assert status["upload_id"] == state["upload_id"]
    assert status["status"] == "committed"
    assert counts_of(status) == expected_status(sample["counts"])
    opened = [request for request in proxy.requests if request[1] == "POST" and request[2] == "/api/uploads"]
    assert len(opened) == 1, "the rerun continued the killed run's upload"


def _wait_for_state(cli: Cli, process: subprocess.Popen, ready, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        for path in cli.state.glob("*.json"):
            try:
                state = json.loads(path.read_text())
            except ValueError:
                continue  # replaced while read
            if ready(state["accepted"]):
                return state
        time.sleep(0.01)
    raise AssertionError(f"no such state before the upload ended (exit {process.poll()})")


def test_503_and_429_answers_are_retried_honouring_retry_after_and_the_upload_completes(devhost, sample, cli):
    refusals = [(503, "0"), (429, "1"), (503, None), (429, "0")]
    with FlakyProxy(devhost.url, refusals=refusals) as proxy:
        cli.env["CREDITGATE_URL"] = proxy.url
        done = cli.run("upload", *files(sample, "jsonl"), "--commit", "--no-train", "--json")
    status = json.loads(done.stdout)
    assert counts_of(status) == expected_status(sample["counts"])
    refused = proxy.refused()
    assert [r[3] for r in refused] == [503, 429, 503, 429]
    assert refused[0][2] == "/api/uploads", "opening an upload is retried after a refusal, though not idempotent"
    after_retry_after = proxy.requests[proxy.requests.index(refused[1]) + 1]
    assert after_retry_after[0] - refused[1][0] >= 1.0, "Retry-After: 1 was honoured"
    assert done.stderr.count("retrying in") == 4 and "HTTP 429" in done.stderr


def test_a_server_that_stays_unavailable_ends_with_exit_5(devhost, sample, cli):
    with FlakyProxy(devhost.url, refusals=[(503, "0")] * 3) as proxy:
        cli.env["CREDITGATE_URL"] = proxy.url
        done = cli.run("upload", *files(sample, "jsonl"), "--retries", "2", expect=5)
    assert len(proxy.requests) == 3 and "503" in done.stderr


def test_bad_files_name_the_row_and_column(devhost, cli, tmp_path):
    local = tmp_path / "orders.csv"
    local.write_text(
        "order_id;customer_id;ordered_at;amount;payment_term_days;invoiced\n"
        "B1;C1;2025-03-01T10:00:00Z;1.250,50;30;true\n"
        "B2;C1;2025-03-02T10:00:00Z;mil;30;true\n"
    )
    done = cli.run("upload", str(local), expect=3)
    assert "orders.csv row 3, column amount: 'mil' is not a number" in done.stderr
    assert not cli.state.exists(), "nothing was sent"

    served = tmp_path / "bad" / "orders.csv"
    served.parent.mkdir()
    served.write_text(
        "order_id;customer_id;ordered_at;amount;payment_term_days;invoiced\n"
        "B1;C1;2025-03-01T10:00:00Z;1.250,50;30;true\n"
        "B2;C1;2025-03-02T10:00:00Z;10;9999;true\n"
        "B3;C1;2025-03-02T10:00:00Z;10;9999;true\n"
    )
    answer = cli.json("upload", str(served), expect=3)
    assert answer["exit_code"] == 3
    assert [p.split(":")[0] for p in answer["problems"]] == [
        "orders.csv row 3, column payment_term_days",
        "orders.csv row 4, column payment_term_days",
    ]

    unknown = tmp_path / "customers.jsonl"
    unknown.write_text('{"customer_id": "C1", "nome": "Ana"}\n')
    assert "customers.jsonl row 1, column nome: not a field of customers" in cli.run("upload", str(unknown), expect=3).stderr


def test_too_little_history_fails_the_job_and_jobs_wait_says_so(devhost, sample, cli):
    job = cli.run("upload", *files(sample, "jsonl")[:3], "--commit", "--get", "training_job_id").stdout.strip()
    assert job
    failed = cli.json("jobs", "wait", job, expect=6)
    assert failed["status"] == "failed" and "200" in failed["error"]


def test_predict_round_trips_a_thousand_orders_and_every_command_s_json_parses(devhost, sample, cli, tmp_path):
    job = cli.json("upload", *files(sample, "jsonl"), "--commit")["training_job_id"]
    assert cli.json("jobs", "wait", job)["status"] == "succeeded"
    models = cli.json("models", "list")["items"]
    version = models[0]["version"]
    assert cli.json("models", "show", str(version))["metrics"]["roc_auc"] > 0.6
    cli.json("models", "activate", str(version))

    new = generate(1000, seed=9)
    new.write(tmp_path / "new", "csv")  # orders.csv carries `invoiced`: predict leaves it out
    summary = cli.json("predict", str(tmp_path / "new" / "orders.csv"), "-o", str(tmp_path / "decisions.csv"))
    assert summary["orders"] == 1000 and sum(summary["decisions"].values()) == 1000
    with (tmp_path / "decisions.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["order_id"] for row in rows] == new.orders["order_id"].tolist()
    assert all(0 <= float(row["probability"]) <= 1 and row["decision"] in ("invoice", "review", "hold") for row in rows)
    assert all((row["decision"] == "invoice") == (row["invoice"] == "true") for row in rows)
    assert all(row["reasons"] for row in rows)

    cli.run("predict", str(tmp_path / "new" / "orders.csv"), "-o", str(tmp_path / "decisions.jsonl"))
    lines = [json.loads(line) for line in (tmp_path / "decisions.jsonl").read_text().splitlines()]
    assert len(lines) == 1000 and {"probability", "decision", "rules", "reasons", "model_version"} <= set(lines[0])

    history = cli.json("history", "--limit", "120")["items"]
    assert len(history) == 120 and {item["order_id"] for item in history} <= set(new.orders["order_id"])

    key = cli.json("keys", "create", "erp")
    assert key["key"].startswith("cgk_")
    with_key = Cli(cli.env["CREDITGATE_URL"], tmp_path / "erp")
    with_key.env["CREDITGATE_API_KEY"] = key["key"]
    assert with_key.json("models", "list")["items"] == cli.json("models", "list")["items"]
    assert [k["id"] for k in cli.json("keys", "list")["items"]] == [key["id"]]
    assert cli.json("keys", "revoke", key["id"]) == {"id": key["id"], "revoked": True}
    assert with_key.json("models", "list", expect=4)["exit_code"] == 4


def test_login_keeps_the_token_for_later_commands(devhost, tmp_path):
    cli = Cli(devhost.url, tmp_path)
    email = f"cli-{time.time_ns()}@example.com.br"
    assert cli.json("models", "list", expect=4)["exit_code"] == 4
    signed_up = cli.json("signup", "--company", "Cli Ltda", "--email", email, "--password", "uma senha bem longa")
    assert signed_up["access_token"]
    token_file = tmp_path / "config" / "creditgate" / "credentials.json"
    assert oct(token_file.stat().st_mode & 0o777) == "0o600"
    token_file.unlink()
    cli.env["CREDITGATE_PASSWORD"] = "uma senha bem longa"
    cli.run("login", "--email", email)
    assert cli.json("models", "list") == {"items": []}
