"""``qpid-config queues`` on a broker with 10,000 queues, beside a bare proton QMF query.

Target: the listing takes at most 1.5 times as long as the bare query of the same objects
(both measured as whole processes, start-up included). Uses the broker at
$QPIDTOOLS_BENCH_BROKER when set (it must not hold queues named ``bench-*``), otherwise a
broker double.

Run: ``.venv/bin/python bench/bench_listing.py [--queues N]``. Exit status 1 when over target.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from common import PYTHON, broker_with_queues, script, time_command, verdict

RATIO = 1.5
RUNS = 5


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queues", type=int, default=10_000)
    count = parser.parse_args().queues
    with broker_with_queues(count) as address:
        bare = time_command([PYTHON, str(Path(__file__).with_name("bare_query.py")), address], RUNS)
        listing = time_command([script("qpid-config"), "-b", address, "queues"], RUNS)
    print(f"bare QMF query: {bare:.3f} s, qpid-config queues: {listing:.3f} s ({count} queues)")
    return 0 if verdict("listing / bare query", listing / bare, RATIO, unit="x") else 1


if __name__ == "__main__":
    sys.exit(main())
