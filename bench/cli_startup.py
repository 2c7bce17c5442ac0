"""Time ``sipas --help`` against importing numpy, pandas and scipy.stats (issue 13's baseline).

``../shared/baselines/`` has no command-line baseline, so the other side is the one issue 13
names: a bare interpreter importing the scientific stack the analysis commands need.
Both sides run as fresh processes, interleaved (A, B, A, B ...); medians of the wall times are
printed with the machine's load, then the slowest imports of ``sipas --help`` from
``python -X importtime``.

Usage::

    .venv/bin/python bench/cli_startup.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = Path(sys.executable).with_name("sipas")  # the console script people run
SIPAS_HELP = [sys.executable, str(SCRIPT), "--help"]
BASELINE = [sys.executable, "-c", "import numpy, pandas, scipy.stats"]


def wall(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def slowest_imports(command: list[str], top: int) -> list[tuple[int, str]]:
    """(cumulative microseconds, module) of the top-level imports, slowest first."""
    done = subprocess.run(
        [command[0], "-X", "importtime", *command[1:]],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    rows = []
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _, cumulative, name = line.removeprefix("import time:").split("|")
        if not name.startswith("  "):  # top level only (nested imports are indented)
            rows.append((int(cumulative), name.strip()))
    return sorted(rows, reverse=True)[:top]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="pairs of runs (at least 3)")
    args = parser.parse_args()
    repeats = max(args.repeats, 3)

    print(f"platform           {platform.platform()}, {os.cpu_count()} CPUs")
    print(f"python             {platform.python_version()} ({sys.executable})")
    print(f"load before        {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    wall(SIPAS_HELP)  # warm the file cache for both sides
    wall(BASELINE)
    ours: list[float] = []
    base: list[float] = []
    for _ in range(repeats):
        ours.append(wall(SIPAS_HELP))
        base.append(wall(BASELINE))
    ours_med, base_med = statistics.median(ours), statistics.median(base)
    print(f"repeats            {repeats:>8}  (interleaved A, B, A, B ...)")
    print(f"sipas --help       {ours_med:>7.3f}s  median of {', '.join(f'{t:.3f}' for t in ours)}")
    print(f"numpy+pandas+scipy {base_med:>7.3f}s  median of {', '.join(f'{t:.3f}' for t in base)}")
    print(f"ratio ours/base    {ours_med / base_med:>8.2f}   (target: sipas --help under 0.5 s)")
    print(f"load after         {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print("slowest top-level imports of sipas --help (python -X importtime, cumulative):")
    for micros, name in slowest_imports(SIPAS_HELP, 8):
        print(f"  {micros / 1000:>8.1f} ms  {name}")


if __name__ == "__main__":
    main()
