"""Cold start: every tool's ``--help``, a usage error and a fixed-value completion finish
within 0.10 s of ``python -c pass``, all measured in one run on the same machine.

Run: ``.venv/bin/python bench/bench_startup.py``. Exit status 1 when any is over the target.
The tools and command lines come from :mod:`qpidtools.testing.startup`, so a new tool in
``qpidtools.generate.PROGRAMS`` is measured too. Each run of a tool is paired with a run of
``python -c pass`` just before it, and the overhead is the median of the differences, so
that load from other work weighs on both sides alike. The CPU time the tool adds is printed
too: it hardly depends on load, and it is what the code controls.
"""

from __future__ import annotations

import statistics
import sys

from common import PYTHON, run_once, script, verdict

from qpidtools.testing.startup import start_ups

TARGET_OVERHEAD_S = 0.10
RUNS = 15


def main() -> int:
    results = []
    for start_up in start_ups():
        argv = [script(start_up.prog), *start_up.args]
        wall, cpu = [], []
        for _ in range(RUNS):
            base_wall, base_cpu = run_once([PYTHON, "-c", "pass"])
            tool_wall, tool_cpu = run_once(argv, start_up.env, exit_code=start_up.exit_code)
            wall.append(tool_wall - base_wall)
            cpu.append(tool_cpu - base_cpu)
        name = f"{start_up.prog} {start_up.what}: overhead over python -c pass"
        print(f"{name}: CPU {statistics.median(cpu):.3f} s")
        results.append(verdict(f"{name}, wall", statistics.median(wall), TARGET_OVERHEAD_S))
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
