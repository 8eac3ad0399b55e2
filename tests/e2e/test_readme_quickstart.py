"""The README's quickstart, read from the README itself and run by bash against a devhost, so the
page a newcomer follows cannot drift from what works."""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MARKER = "<!-- quickstart"


def quickstart_block() -> str:
    """The first ```bash block after the quickstart marker."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    found = re.search(re.escape(MARKER) + r".*?-->\s*```bash\n(.*?)```", readme, re.S)
    assert found, "README.md has no quickstart block after " + MARKER
    return found.group(1)


def test_the_readme_quickstart_runs_from_sample_data_to_decisions(devhost, tmp_path):
    block = quickstart_block()
    for step in ("shared.sample_data", "creditgate upload", "--commit", "creditgate jobs wait", "creditgate predict", "keys revoke"):
        assert step in block, step
    # `source .venv/bin/activate` (the README's step before the block) puts these two on PATH.
    tools = tmp_path / "bin"
    tools.mkdir()
    for name, command in (("python", ""), ("creditgate", " -m creditgate")):
        (tools / name).write_text(f'#!/bin/sh\nexec "{sys.executable}"{command} "$@"\n')
        (tools / name).chmod(0o755)
    env = {
        **{name: value for name, value in os.environ.items() if not name.startswith("CREDITGATE_")},
        "PATH": f"{tools}{os.pathsep}{os.environ['PATH']}",
        "PYTHONPATH": str(ROOT),
        "CREDITGATE_URL": devhost.url,
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_STATE_HOME": str(tmp_path / "state"),
    }
    work = tmp_path / "work"
    work.mkdir()
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", block], cwd=work, env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, f"{done.stdout}\n{done.stderr}"

    with (work / "decisions.csv").open(newline="") as handle:
        decisions = list(csv.DictReader(handle))
    assert len(decisions) == 2000
    assert {row["decision"] for row in decisions} <= {"invoice", "review", "hold"}
    answers = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    assert answers[0]["predictions"][0]["order_id"] == "N1"
    assert set(answers[1]["metrics"]) >= {"roc_auc", "accuracy", "confusion_matrix"}
    keys = subprocess.run(
        [sys.executable, "-m", "creditgate", "keys", "list", "--json"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert [key["revoked_at"] is not None for key in json.loads(keys.stdout)["items"]] == [True]
