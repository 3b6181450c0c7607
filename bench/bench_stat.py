"""qpid-stat beside bare proton QMF queries of the classes it reads.

Targets (whole processes, start-up included, median of several runs):

- ``qpid-stat -q`` with 10,000 queues: at most 1.2 times a bare query of the queue class;
- ``qpid-stat -u``: at most 1.3 times bare queries of subscription, session, connection and
  queue (one query per class).

Uses the broker at $QPIDTOOLS_BENCH_BROKER when set (it must not hold queues named
``bench-*``), otherwise a broker double. The double makes no subscriptions (qpidd makes them
for AMQP 0-10 consumers only, and the double speaks AMQP 1.0), so against it ``-u`` measures
the three listings with nothing to resolve; measure against a qpidd with 1,000 AMQP 0-10
subscriptions for the real figure.

Run: ``.venv/bin/python bench/bench_stat.py [--queues N]``. Exit status 1 when over target.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from common import PYTHON, broker_with_queues, script, time_command, verdict

QUEUES_RATIO = 1.2
SUBSCRIPTIONS_RATIO = 1.3
RUNS = 5
BARE = str(Path(__file__).with_name("bare_query.py"))


def compare(name: str, ours: list[str], classes: list[str], address: str, limit: float) -> bool:
    bare = time_command([PYTHON, BARE, address, *classes], RUNS)
    measured = time_command([script("qpid-stat"), "-b", address, *ours], RUNS)
    print(f"bare queries of {', '.join(classes)}: {bare:.3f} s, qpid-stat {' '.join(ours)}: "
          f"{measured:.3f} s")  # fmt: skip
    return verdict(f"{name} / bare queries", measured / bare, limit, unit="x")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queues", type=int, default=10_000)
    count = parser.parse_args().queues
    with broker_with_queues(count) as address:
        results = [
            compare("qpid-stat -q", ["-q"], ["queue"], address, QUEUES_RATIO),
            compare(
                "qpid-stat -u",
                ["-u"],
                ["subscription", "session", "connection", "queue"],
                address,
                SUBSCRIPTIONS_RATIO,
            ),
        ]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
