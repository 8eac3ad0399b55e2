"""Cold start: `import function_app` (what the Functions host does first on every cold start)
beside `import azure.functions` (the floor: the app cannot import less), each in a fresh interpreter.

    .venv/bin/python bench/cold_start.py [--repeats 15]

Each repeat runs both imports in new processes, one after the other (so a busy moment of the
machine weighs on both alike), timing the import statement alone inside the child; medians and
the ratio. Target on the 2-core machine: `import function_app` <= 300 ms.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TIMED_IMPORT = "import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"


def import_ms(module: str) -> float:
    child = subprocess.run(
        [sys.executable, "-c", TIMED_IMPORT.format(module=module)],
        cwd=REPO, capture_output=True, text=True, check=True,
    )
    return float(child.stdout) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    import_ms("function_app")  # warm: bytecode written, files in the page cache
    app, floor = [], []
    for _ in range(args.repeats):
        app.append(import_ms("function_app"))
        floor.append(import_ms("azure.functions"))
    app_ms, floor_ms = statistics.median(app), statistics.median(floor)
    print(f"cold start  import function_app median {app_ms:6.1f} ms   import azure.functions median "
          f"{floor_ms:6.1f} ms   ratio {app_ms / floor_ms:4.2f}x   ({args.repeats} fresh processes each)")


if __name__ == "__main__":
    main()
