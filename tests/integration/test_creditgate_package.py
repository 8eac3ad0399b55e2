"""`pip install` of the repository gives the `creditgate` client alone: its script, and no import of
the server's packages, so it runs on a machine that has only httpx and rich."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_pip_installs_a_client_that_needs_nothing_of_the_server(tmp_path):
    source = tmp_path / "source"  # a copy: building in the checkout would leave build/ behind
    source.mkdir()
    shutil.copy(ROOT / "pyproject.toml", source)
    shutil.copytree(ROOT / "creditgate", source / "creditgate", ignore=shutil.ignore_patterns("__pycache__"))
    for folder in ("shared", "functions"):
        shutil.copytree(ROOT / folder, source / folder, ignore=shutil.ignore_patterns("__pycache__"))
    site = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-deps",
         "--target", str(site), str(source)],
        check=True, timeout=300,
    )  # fmt: skip
    assert sorted(path.name for path in site.iterdir() if not path.name.endswith(".dist-info")) == ["bin", "creditgate"]

    env = {**os.environ, "PYTHONPATH": str(site)}
    probe = "import sys, creditgate.cli; print(sorted({m.split('.')[0] for m in sys.modules} & {'shared', 'functions'}))"
    imported = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, env=env, capture_output=True, text=True, check=True)
    assert imported.stdout.strip() == "[]"
    helped = subprocess.run([str(site / "bin" / "creditgate"), "--help"], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert helped.returncode == 0 and "exit status" in helped.stdout
