"""Sending files as one upload: 500-item batches numbered per dataset, a state file that makes a
rerun continue the same upload, and a 422 mapped back to the rows of the files."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from creditgate.api import Api
from creditgate.config import state_dir
from creditgate.contract import BATCH_ITEMS, DATASETS
from creditgate.errors import ApiError
from creditgate.files import DataFile, FileErrors, Problem


@dataclass(frozen=True)
class Batch:
    dataset: str
    number: int
    items: list[dict[str, Any]]
    rows: list[tuple[str, int]]  # (file name, row) of each item


def batches(files: list[DataFile], size: int = BATCH_ITEMS) -> list[Batch]:
    """Datasets in contract order (customers first), each numbered from 1 across its files."""
    result = []
    for dataset in DATASETS:
        items = [(item, (f.path.name, row)) for f in files if f.dataset == dataset for item, row in zip(f.items, f.rows)]
        for number, start in enumerate(range(0, len(items), size), start=1):
            chunk = items[start : start + size]
            result.append(Batch(dataset, number, [item for item, _ in chunk], [row for _, row in chunk]))
    return result


def row_problems(batch: Batch, errors: list[dict]) -> list[Problem]:
    """A 422's `errors[].loc` (["items", i, field, ...]) as the file, row and column of each item."""
    problems = []
    for error in errors:
        loc = error.get("loc") or []
        message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
        if len(loc) >= 2 and loc[0] == "items" and isinstance(loc[1], int) and 0 <= loc[1] < len(batch.rows):
            source, row = batch.rows[loc[1]]
            column = ".".join(str(part) for part in loc[2:]) or None
            problems.append(Problem(source, row, column, message))
        else:
            where = ".".join(str(part) for part in loc)
            problems.append(Problem(f"{batch.dataset} batch {batch.number}", None, where or None, message))
    return problems


class UploadState:
    """What a run has sent, in `$XDG_STATE_HOME/creditgate/uploads/<input set>.json`: the upload's
    id and, per dataset, how many batches the server accepted. The input set is the server URL and
    the files' datasets and contents, so changing a file starts a new upload."""

    def __init__(self, url: str, files: list[DataFile]):
        key = hashlib.sha256(
            json.dumps([url, sorted((f.dataset, f.digest) for f in files)]).encode()
        ).hexdigest()[:32]
        self.path = state_dir() / "uploads" / f"{key}.json"
        try:
            saved = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            saved = {}
        self.upload_id: str | None = saved.get("upload_id")
        self.accepted: dict[str, int] = saved.get("accepted", {})

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(json.dumps({"upload_id": self.upload_id, "accepted": self.accepted}), encoding="utf-8")
        os.replace(temporary, self.path)

    def forget(self) -> None:
        self.path.unlink(missing_ok=True)


def send(
    api: Api,
    files: list[DataFile],
    commit: bool,
    train: bool,
    advance: Callable[[int], None],
    notice: Callable[[str], None],
) -> dict[str, Any]:
    """Send every batch not yet accepted, then commit if asked; the answer is the upload's status."""
    state = UploadState(api.url, files)
    status = _resume(api, state, notice)
    if status is None:
        state.upload_id = api.call("POST", "/uploads", json={})["upload_id"]
        state.accepted = {}
        state.save()
    elif status["status"] == "committed":
        state.forget()
        advance(sum(len(f.items) for f in files))
        return status
    for batch in batches(files):
        if batch.number <= state.accepted.get(batch.dataset, 0):
            advance(len(batch.items))
            continue
        try:
            api.call(
                "POST",
                f"/uploads/{state.upload_id}/{batch.dataset}",
                json={"batch": batch.number, "items": batch.items},
                idempotent=True,  # the server takes a resent batch number as the same batch
            )
        except ApiError as exc:
            if exc.status == 422 and exc.field_errors:
                outcome = f"{batch.dataset} batch {batch.number} was refused (batches before it are in upload {state.upload_id})"
                raise FileErrors(row_problems(batch, exc.field_errors), outcome) from exc
            raise
        state.accepted[batch.dataset] = batch.number
        state.save()
        advance(len(batch.items))
    if commit:
        api.call("POST", f"/uploads/{state.upload_id}/commit", json={"train": train})
        state.forget()
    return api.call("GET", f"/uploads/{state.upload_id}")


def _resume(api: Api, state: UploadState, notice: Callable[[str], None]) -> dict | None:
    """The status of the upload a killed run left, or None to open a new one."""
    if not state.upload_id:
        return None
    try:
        status = api.call("GET", f"/uploads/{state.upload_id}")
    except ApiError as exc:
        if exc.status == 404:  # another company's, or gone: start afresh
            return None
        raise
    notice(f"continuing upload {state.upload_id} ({status['status']})")
    return status

