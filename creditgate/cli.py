"""`creditgate` commands: argument parsing, and output for people (rich) or scripts (`--json`, `--get`)."""

from __future__ import annotations

import argparse
import getpass
import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from creditgate import __version__, predict, upload
from creditgate.api import Api
from creditgate.config import DEFAULT_URL, credentials, server_url, store_token
from creditgate.contract import DATASETS, PREDICTION_FIELDS
from creditgate.errors import EXIT_CODES, ClientError, JobFailed, TimedOut
from creditgate.files import FileErrors, read, read_all

FINISHED = {"succeeded": 0, "skipped": 0, "failed": JobFailed.exit_code}
err = Console(stderr=True, highlight=False, soft_wrap=True)
out = Console(highlight=False, soft_wrap=True)

EPILOG = (
    "environment: CREDITGATE_URL (default " + DEFAULT_URL + "), CREDITGATE_TOKEN or CREDITGATE_API_KEY "
    "(else the token `login` keeps in $XDG_CONFIG_HOME/creditgate/credentials.json), CREDITGATE_PASSWORD "
    "(for signup/login without a prompt).\n\nexit status:\n"
    + "\n".join(f"  {code}  {meaning}" for code, meaning in EXIT_CODES.items())
)


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if not hasattr(args, "run"):
        parser().print_help()
        return 2
    url = server_url(args.url)
    try:
        with Api(url, credentials(url), retries=args.retries, notice=lambda m: err.print(f"[yellow]{m}[/]")) as api:
            return args.run(api, args) or 0
    except ClientError as exc:
        if args.json:
            problems = [str(p) for p in exc.problems] if isinstance(exc, FileErrors) else []
            print(json.dumps({"error": str(exc).splitlines()[0], "exit_code": exc.exit_code, "problems": problems}))
        err.print(f"[red]error:[/] {exc}", markup=True, soft_wrap=True)
        return exc.exit_code
    except KeyboardInterrupt:
        err.print("interrupted")
        return 130


def parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--url", default=argparse.SUPPRESS, help=f"API base URL (CREDITGATE_URL, default {DEFAULT_URL})")
    common.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="print the result as JSON")
    common.add_argument(
        "--get", action="append", metavar="FIELD", default=argparse.SUPPRESS,
        help="print only this field of the result (repeatable: tab-separated), for shell variables",
    )
    common.add_argument("--retries", type=int, default=argparse.SUPPRESS, help="retries of a failing request (default 8)")
    formatter = argparse.RawDescriptionHelpFormatter
    main_parser = argparse.ArgumentParser(
        prog="creditgate", description="Command-line client of the CreditGate API.", epilog=EPILOG,
        parents=[common], formatter_class=formatter,
    )
    main_parser.add_argument("--version", action="version", version=f"creditgate {__version__}")
    main_parser.set_defaults(url=None, json=False, get=None, retries=8)
    commands = main_parser.add_subparsers(title="commands", metavar="COMMAND")

    def command(group, name: str, run: Callable, help: str) -> argparse.ArgumentParser:
        sub = group.add_parser(name, help=help, description=help, parents=[common], epilog=EPILOG, formatter_class=formatter)
        sub.set_defaults(run=run)
        return sub

    sub = command(commands, "signup", signup, "create a company and its first user, and sign in")
    sub.add_argument("--company", required=True)
    sub.add_argument("--email", required=True)
    sub.add_argument("--password", help="12..128 characters (else CREDITGATE_PASSWORD, else asked)")
    sub = command(commands, "login", login, "sign in and keep the token in the config directory (0600)")
    sub.add_argument("--email", required=True)
    sub.add_argument("--password", help="else CREDITGATE_PASSWORD, else asked")

    keys = commands.add_parser("keys", help="API keys for ERPs and scripts").add_subparsers(title="commands", metavar="COMMAND", required=True)
    command(keys, "create", keys_create, "create a key (shown once)").add_argument("name")
    command(keys, "list", keys_list, "the company's keys, without secrets")
    command(keys, "revoke", keys_revoke, "revoke a key by its id").add_argument("key_id")

    sub = command(commands, "upload", upload_files, "send files as one upload (500-item batches; safe to rerun)")
    sub.add_argument("paths", nargs="+", type=Path, metavar="PATH", help=".csv (, or ;), .jsonl or .parquet, one dataset each")
    sub.add_argument("--dataset", choices=list(DATASETS), help="the dataset of every file (default: from each file name)")
    sub.add_argument("--decimal", choices=[",", "."], help="decimal separator of CSV files (default: , for ; files, else .)")
    sub.add_argument("--commit", action="store_true", help="commit the upload when every batch is in (starts training)")
    sub.add_argument("--no-train", dest="train", action="store_false", help="with --commit: store the data without training")

    jobs = commands.add_parser("jobs", help="training jobs").add_subparsers(title="commands", metavar="COMMAND", required=True)
    sub = command(jobs, "wait", jobs_wait, "wait for a training job to finish; exit 0 if it succeeded, 6 if it failed")
    sub.add_argument("job_id")
    sub.add_argument("--timeout", type=float, default=3600, help="seconds (default 3600; exit 7 when reached)")
    command(jobs, "show", jobs_show, "a training job's status").add_argument("job_id")
    command(jobs, "list", jobs_list, "the company's training jobs, newest first")

    models = commands.add_parser("models", help="model versions").add_subparsers(title="commands", metavar="COMMAND", required=True)
    command(models, "list", models_list, "model versions, the active one marked")
    command(models, "show", models_show, "a version's holdout metrics").add_argument("version", type=int)
    command(models, "activate", models_activate, "make a version answer predictions").add_argument("version", type=int)

    sub = command(commands, "predict", predict_file, "decisions for a file of orders (CSV or JSON lines)")
    sub.add_argument("file", type=Path)
    sub.add_argument("-o", "--output", type=Path, required=True, help=".csv or .jsonl")
    sub.add_argument("--model-version", type=int)
    sub.add_argument("--decimal", choices=[",", "."])

    sub = command(commands, "history", history, "logged decisions, newest first")
    sub.add_argument("--order-id")
    sub.add_argument("--customer-id")
    sub.add_argument("--decision", choices=["invoice", "review", "hold"])
    sub.add_argument("--from", dest="from_", metavar="FROM")
    sub.add_argument("--to")
    sub.add_argument("--limit", type=int, default=50, help="how many decisions (default 50)")
    return main_parser


# --- output -----------------------------------------------------------------------------------


def emit(args: argparse.Namespace, result: Any, human: Callable[[Any], None]) -> None:
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    elif args.get:
        print("\t".join(_text(result.get(name) if isinstance(result, dict) else None) for name in args.get))
    else:
        human(result)


def _text(value: Any) -> str:
    return "" if value is None else value if isinstance(value, str) else json.dumps(value)


def _cell(value: Any) -> str:
    return f"{value:.3f}" if isinstance(value, float) else _text(value)


def table(rows: list[dict[str, Any]], columns: list[str], title: str | None = None) -> None:
    grid = Table(*columns, title=title)
    for row in rows:
        grid.add_row(*(_cell(row.get(column)) for column in columns))
    out.print(grid)


def progress(total: int, label: str) -> Progress:
    bar = Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
        console=err, disable=not err.is_terminal,
    )
    bar.add_task(label, total=total)
    return bar


def _password(args: argparse.Namespace) -> str:
    return args.password or os.environ.get("CREDITGATE_PASSWORD") or getpass.getpass("password: ")


# --- commands ---------------------------------------------------------------------------------


def signup(api: Api, args: argparse.Namespace) -> None:
    body = {"company": args.company, "email": args.email, "password": _password(args)}
    answer = api.call("POST", "/signup", json=body, auth=False, retries=0)
    path = store_token(api.url, args.email, answer["access_token"])
    emit(args, answer, lambda a: out.print(f"company {a['tenant_id']} created; signed in as {args.email} (token in {path})"))


def login(api: Api, args: argparse.Namespace) -> None:
    answer = api.call("POST", "/token", json={"email": args.email, "password": _password(args)}, auth=False, retries=0)
    path = store_token(api.url, args.email, answer["access_token"])
    emit(args, answer, lambda a: out.print(f"signed in as {args.email} (token in {path})"))


def keys_create(api: Api, args: argparse.Namespace) -> None:
    answer = api.call("POST", "/api-keys", json={"name": args.name})
    emit(args, answer, lambda a: out.print(f"key {a['id']} ({a['name']}), shown once:\n{a['key']}"))


def keys_list(api: Api, args: argparse.Namespace) -> None:
    answer = api.call("GET", "/api-keys")
    items = answer["items"] if isinstance(answer, dict) else answer
    emit(args, answer, lambda a: table(items, ["id", "name", "created_at"], "API keys"))


def keys_revoke(api: Api, args: argparse.Namespace) -> None:
    api.call("DELETE", f"/api-keys/{args.key_id}")
    emit(args, {"id": args.key_id, "revoked": True}, lambda a: out.print(f"key {args.key_id} revoked"))


def upload_files(api: Api, args: argparse.Namespace) -> None:
    files = read_all(args.paths, args.dataset, args.decimal)
    total = sum(len(f.items) for f in files)
    with progress(total, "uploading") as bar:
        status = upload.send(
            api, files, args.commit, args.train, lambda n: bar.advance(bar.task_ids[0], n), lambda m: err.print(m)
        )

    def human(s: dict) -> None:
        out.print(f"upload {s['upload_id']}: {s['status']}")
        table([{"dataset": d, **counts} for d, counts in s["datasets"].items()], ["dataset", "batches", "items"])
        if s.get("training_job_id"):
            out.print(f"training job {s['training_job_id']}: creditgate jobs wait {s['training_job_id']}")
        elif s["status"] == "open":
            out.print("not committed yet: run the same command with --commit to commit it (other files would start a new upload)")

    emit(args, status, human)


def jobs_wait(api: Api, args: argparse.Namespace) -> int:
    deadline = time.monotonic() + args.timeout
    pause = 0.5
    with err.status(f"waiting for training job {args.job_id}") as spinner:
        while True:
            job = api.call("GET", f"/training-jobs/{args.job_id}")
            if job["status"] in FINISHED:
                break
            if time.monotonic() + pause > deadline:
                raise TimedOut(f"training job {args.job_id} still {job['status']} after {args.timeout:g} s")
            spinner.update(f"training job {args.job_id}: {job['status']}")
            time.sleep(pause)
            pause = min(pause * 1.5, 5.0)
    emit(args, job, _show_job)
    return FINISHED[job["status"]]


def _show_job(job: dict) -> None:
    line = f"training job {job['job_id']}: {job['status']}"
    if job.get("model_version"):
        line += f", model version {job['model_version']}"
    if job.get("error") or job.get("detail"):
        line += f" ({job.get('error') or job.get('detail')})"
    out.print(line)


def jobs_show(api: Api, args: argparse.Namespace) -> None:
    emit(args, api.call("GET", f"/training-jobs/{args.job_id}"), _show_job)


def jobs_list(api: Api, args: argparse.Namespace) -> None:
    answer = api.call("GET", "/training-jobs")
    emit(args, answer, lambda a: table(a["items"], ["job_id", "status", "model_version", "created_at", "error"], "training jobs"))


def models_list(api: Api, args: argparse.Namespace) -> None:
    answer = api.call("GET", "/models")
    emit(args, answer, lambda a: table(a["items"], ["version", "active", "algorithm", "roc_auc", "created_at"], "models"))


def models_show(api: Api, args: argparse.Namespace) -> None:
    def human(model: dict) -> None:
        out.print(f"model {model['version']} ({model['algorithm']}{', active' if model['active'] else ''}), threshold {model['threshold']}")
        metrics = {k: v for k, v in model["metrics"].items() if not isinstance(v, dict | list)}
        table([{"metric": k, "holdout": v} for k, v in metrics.items()], ["metric", "holdout"])

    emit(args, api.call("GET", f"/models/{args.version}"), human)


def models_activate(api: Api, args: argparse.Namespace) -> None:
    answer = api.call("POST", f"/models/{args.version}/activate")
    emit(args, answer, lambda a: out.print(f"model {args.version} is active"))


def predict_file(api: Api, args: argparse.Namespace) -> None:
    orders = read(args.file, "orders", PREDICTION_FIELDS, args.decimal, drop=("invoiced",))
    with progress(len(orders.items), "deciding") as bar:
        decisions = predict.decide(api, orders, args.model_version, lambda n: bar.advance(bar.task_ids[0], n))
    predict.write(decisions, args.output)
    mix: dict[str, int] = {}
    for decision in decisions:
        mix[decision["decision"]] = mix.get(decision["decision"], 0) + 1
    summary = {"orders": len(decisions), "output": str(args.output), "decisions": mix}
    emit(args, summary, lambda s: out.print(f"{s['orders']} decisions written to {s['output']}: {mix}"))


def history(api: Api, args: argparse.Namespace) -> None:
    filters = {"order_id": args.order_id, "customer_id": args.customer_id, "decision": args.decision, "from": args.from_, "to": args.to}
    params = {name: value for name, value in filters.items() if value is not None}
    items: list[dict] = []
    cursor = None
    while len(items) < args.limit:
        page = api.call("GET", "/predictions", params={**params, "limit": min(1000, args.limit - len(items)), **({"cursor": cursor} if cursor else {})})
        items.extend(page["items"])
        cursor = page.get("next_cursor")
        if not cursor or not page["items"]:
            break
    for item in items:
        item.setdefault("decision", "invoice" if item.get("invoice") else "hold")
    emit(args, {"items": items}, lambda a: table(items, ["created_at", "order_id", "decision", "probability", "model_version"], "decisions"))
