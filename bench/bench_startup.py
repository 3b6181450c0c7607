"""Cold start: every tool's ``--help``, a usage error and a fixed-value completion finish
within 0.10 s of ``python -c pass``, all measured in one run on the same machine.

Run: ``.venv/bin/python bench/bench_startup.py``. Exit status 1 when any is over the target.
The tools and command lines come from :mod:`qpidtools.testing.startup`, so a new tool in
``qpidtools.generate.PROGRAMS`` is measured too.
"""

from __future__ import annotations

import sys

from common import PYTHON, script, time_command, verdict

from qpidtools.testing.startup import start_ups

TARGET_OVERHEAD_S = 0.10
RUNS = 15


def main() -> int:
    baseline = time_command([PYTHON, "-c", "pass"], RUNS)
    print(f"python -c pass: {baseline:.3f} s")
    results = []
    for start_up in start_ups():
        argv = [script(start_up.prog), *start_up.args]
        elapsed = time_command(argv, RUNS, start_up.env, exit_code=start_up.exit_code)
        name = f"{start_up.prog} {start_up.what}"
        results.append(
            verdict(f"{name}: {elapsed:.3f} s, overhead", elapsed - baseline, TARGET_OVERHEAD_S)
        )
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
