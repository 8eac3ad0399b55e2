"""The devhost as a child process: what e2e tests, benchmarks and `make demo` talk to over HTTP.

A separate process keeps the client's work off the server's interpreter, so timings are honest.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from shared.config import Settings

REPO = Path(__file__).resolve().parents[2]
BANNER = "CreditGate devhost listening on"
SETTING_NAMES = {
    alias
    for field in Settings.model_fields.values()
    for alias in getattr(field.validation_alias, "choices", [field.validation_alias])
    if isinstance(alias, str)
}


class DevhostStartError(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class ChildDevhost:
    process: subprocess.Popen
    url: str
    log: Path

    def stop(self, timeout: float = 20) -> int:
        """SIGTERM, as a service manager would; returns the exit code (0 when shut down cleanly)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise


def environment(data_dir: Path, settings: Mapping[str, str] = ()) -> dict[str, str]:
    """This process's environment without any CreditGate setting, then exactly `settings`."""
    env = {name: value for name, value in os.environ.items() if name not in SETTING_NAMES}
    env.update(APP_DATA_DIR=str(data_dir), PYTHONPATH=str(REPO))
    env.update(settings)  # may move APP_DATA_DIR elsewhere (the log stays in data_dir)
    return env


def spawn(
    data_dir: Path, settings: Mapping[str, str] = (), port: int | None = None, timeout: float = 60, *, migrate: bool = True
) -> ChildDevhost:
    """Migrate the database (unless `migrate=False`), start the devhost and wait for its banner."""
    data_dir.mkdir(parents=True, exist_ok=True)
    env = environment(data_dir, settings)
    if migrate:
        subprocess.run([sys.executable, "-m", "shared.db.migrate"], env=env, cwd=REPO, check=True)
    port = port or free_port()
    log = data_dir / "devhost.log"
    with open(log, "wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "shared.devhost", "--host", "127.0.0.1", "--port", str(port)],
            env=env, cwd=REPO, stdout=output, stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + timeout
    while BANNER not in log.read_text(errors="replace"):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise DevhostStartError(f"devhost did not start:\n{log.read_text(errors='replace')[-3000:]}")
        time.sleep(0.05)
    return ChildDevhost(process, f"http://127.0.0.1:{port}/api", log)
