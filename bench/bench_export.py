"""``qpid-config export`` of 10,000 queues and 10,000 bindings, beside bare proton queries.

Target: the export takes at most 1.3 times as long as bare queries of the three classes it
reads (queue, exchange, binding), both measured as whole processes, start-up included.
Uses the broker at $QPIDTOOLS_BENCH_BROKER when set (its ``bench-*`` objects are created
and deleted again), otherwise a broker double.

Run: ``.venv/bin/python bench/bench_export.py [--queues N]``. Exit status 1 when over target.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from bench_apply import HERE, RATIO, broker_for_run, configuration
from common import PYTHON, script, time_command, verdict

from qpidtools.config_file import dump

RUNS = 5


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queues", type=int, default=10_000)
    count = parser.parse_args().queues
    with tempfile.TemporaryDirectory() as folder, broker_for_run() as address:
        config_file = Path(folder, "bench.yaml")
        config_file.write_text(dump(configuration(count)))
        time_command([script("qpid-config"), "-b", address, "apply", str(config_file)], 1)
        bare = time_command(
            [PYTHON, str(HERE / "bare_query.py"), address, "queue", "exchange", "binding"], RUNS
        )
        export = time_command([script("qpid-config"), "-b", address, "export"], RUNS)
    print(f"bare queries: {bare:.3f} s, qpid-config export: {export:.3f} s ({count} queues)")
    return 0 if verdict("export / bare queries", export / bare, RATIO, unit="x") else 1


if __name__ == "__main__":
    sys.exit(main())
