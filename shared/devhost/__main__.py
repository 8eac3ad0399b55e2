"""`python -m shared.devhost [--host H] [--port P] [--app module:attribute]`

When the app's module also has `MAX_BODY_BYTES` and `refuse_large_body` (an HTTP function), a
larger body gets that function's answer, before it is read where the server can.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import signal
import sys
import threading
from typing import Any

from shared import request_context
from shared.config import ConfigError, load_settings
from shared.devhost.errors import DevHostError
from shared.devhost.host import DevHost

EXIT_APP, EXIT_CONFIG = 1, 2


def _load_app(reference: str) -> tuple[Any, dict[str, Any]]:
    """The FunctionApp, and the DevHost options its module declares."""
    module_name, _, attribute = reference.partition(":")
    if "" not in sys.path and os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())  # the app lives in the working directory, as for `func start`
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name != module_name:
            raise
        raise DevHostError(f"--app {reference}: no module named {module_name!r} here") from None
    app = getattr(module, attribute or "app", None)
    if not callable(getattr(app, "get_functions", None)):
        raise DevHostError(f"--app {reference}: not a FunctionApp")
    if hasattr(module, "MAX_BODY_BYTES") and hasattr(module, "refuse_large_body"):
        return app, {"max_body_bytes": module.MAX_BODY_BYTES, "refuse_large_body": module.refuse_large_body}
    return app, {}


def _migrate() -> None:
    """The embedded default works from an empty data folder, without `make` (DESIGN §7); a
    configured DATABASE_URL is migrated by its owner, and the app answers 503 until then."""
    from shared.db.migrate import upgrade

    try:
        upgrade()
    except Exception as exc:  # a full disk, a locked file: one line, as for every start-up error
        raise DevHostError(f"cannot apply the database migrations: {exc}") from None


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m shared.devhost", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=None, help="default: $PORT or 7071")
    parser.add_argument("--app", default="function_app:app", help="module:attribute of the FunctionApp")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    request_context.install()
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"
    )
    stopping = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):  # before start-up, so an early signal still stops cleanly
        signal.signal(signum, lambda *_: stopping.set())
    try:
        port = args.port if args.port is not None else int(os.environ.get("PORT") or 7071)
    except ValueError:
        print("config error: PORT: not an integer", file=sys.stderr)
        return EXIT_CONFIG
    try:
        settings = load_settings()
        app, options = _load_app(args.app)
        if settings.embedded:
            _migrate()
        host = DevHost(app, args.host, port, settings=settings, **options).start()
    except ConfigError as exc:
        print(f"config error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except DevHostError as exc:
        print(f"devhost error: {exc}", file=sys.stderr)
        return EXIT_APP
    print(f"CreditGate devhost listening on {host.url}", flush=True)
    print(f"Console: {host.url}/console", flush=True)
    stopping.wait()
    host.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
