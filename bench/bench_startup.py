"""Cold start: ``qpid-config --help`` must finish within 0.15 s of ``python -c pass``.

Run: ``.venv/bin/python bench/bench_startup.py``. Exit status 1 when over the target.
"""

from __future__ import annotations

import sys

from common import PYTHON, script, time_command, verdict

TARGET_OVERHEAD_S = 0.15
RUNS = 15


def main() -> int:
    baseline = time_command([PYTHON, "-c", "pass"], RUNS)
    results = []
    for tool, argv in (
        ("qpid-config --help", [script("qpid-config"), "--help"]),
        ("qpid-ha --help", [script("qpid-ha"), "--help"]),
        ("qpid-printevents --help", [script("qpid-printevents"), "--help"]),
    ):
        elapsed = time_command(argv, RUNS)
        print(f"{tool}: {elapsed:.3f} s, python -c pass: {baseline:.3f} s")
        results.append(verdict(f"{tool} overhead", elapsed - baseline, TARGET_OVERHEAD_S))
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
