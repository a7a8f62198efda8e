"""Run the benchmarks: `python bench/run.py [NAME ...]` runs bench/NAME.py, or every one.

Each benchmark runs as its own process (they set up Django against their own databases)
and prints, as its last line, `bench NAME: ratio X (target OP Y) PASS|MISS`. A MISS is a
result, not a failure; the runner exits non-zero only when a benchmark fails to run.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def available() -> list[str]:
    """Every bench/*.py except this runner and private helpers (_*.py)."""
    return sorted(
        p.stem for p in HERE.glob("*.py") if p.stem != "run" and not p.stem.startswith("_")
    )


def load_average() -> str:
    """The 1-, 5- and 15-minute load averages (this machine has 2 cores)."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def run_one(name: str) -> tuple[int, list[str]]:
    """Run one benchmark, echoing its output; return its exit code and its `bench` lines."""
    proc = subprocess.Popen(
        [sys.executable, str(HERE / f"{name}.py")],
        cwd=HERE.parent,
        stdout=subprocess.PIPE,
        text=True,
    )
    lines: list[str] = []
    assert proc.stdout is not None
    for line in proc.stdout:
        print(line, end="", flush=True)
        if line.startswith("bench "):
            lines.append(line.strip())
    return proc.wait(), lines


def main(argv: list[str]) -> int:
    names = argv or available()
    unknown = [n for n in names if n not in available()]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; available: {', '.join(available())}")
        return 2
    summary: list[str] = []
    failed: list[str] = []
    for name in names:
        print(f"=== {name} (load average before: {load_average()})", flush=True)
        started = time.perf_counter()
        code, lines = run_one(name)
        elapsed = time.perf_counter() - started
        # A benchmark's ratios move with the machine's load: each line says what it was.
        lines = [f"{line} [load {load_average()}]" for line in lines]
        if code != 0:
            failed.append(name)
            summary.append(f"{name}: FAILED to run (exit {code}, {elapsed:.0f} s)")
        else:
            summary.extend(lines or [f"{name}: finished without a bench line ({elapsed:.0f} s)"])
    print("\n=== summary")
    for line in summary:
        print(line)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
