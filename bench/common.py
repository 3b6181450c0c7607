"""Shared timing helpers for the benchmarks: best-of-N wall time of a subprocess."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

PYTHON = sys.executable


def script(name: str) -> str:
    """The console script installed beside this interpreter: what users really run."""
    return str(Path(PYTHON).parent / name)


def time_command(argv: Sequence[str], runs: int, env: dict[str, str] | None = None) -> float:
    """Median wall time of ``argv`` over ``runs`` runs; fails loudly if the command fails."""
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(
            argv, check=True, stdout=subprocess.DEVNULL, env={**os.environ, **(env or {})}
        )
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def verdict(name: str, measured: float, limit: float, unit: str = "s") -> bool:
    ok = measured <= limit
    print(f"{name}: {measured:.3f} {unit} (limit {limit:.3f} {unit}) {'PASS' if ok else 'FAIL'}")
    return ok
