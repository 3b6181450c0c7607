"""``qpid-config apply`` of 10,000 queues and 10,000 bindings, beside bare proton clients.

Targets (both measured as whole processes, start-up included):

1. apply of the file to a broker without those objects takes at most 1.3 times as long as a
   bare proton client that pipelines the same 20,000 create calls on one connection;
2. apply of the same file again (nothing to change: no change is sent) takes at most 1.3
   times as long as bare queries of the three classes (queue, exchange, binding).

Uses the broker at $QPIDTOOLS_BENCH_BROKER when set (its objects named ``bench-*`` are deleted
between runs, nothing else is touched), otherwise a fresh broker double for every run.

Run: ``.venv/bin/python bench/bench_apply.py [--queues N] [--runs N]``. Exit status 1 when
over target.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from common import PYTHON, script, time_command, verdict

from qpidtools.address import parse_address
from qpidtools.broker import Broker
from qpidtools.config_file import dump
from qpidtools.config_plan import plan
from qpidtools.configuration import (
    BindingSpec,
    Configuration,
    CurrentConfiguration,
    QueueSpec,
    exported,
)
from qpidtools.testing import BrokerDouble
from qpidtools.transport import ConnectionSettings

RATIO = 1.3
HERE = Path(__file__).parent


def configuration(count: int) -> Configuration:
    """``count`` durable queues with a size limit, each bound to amq.direct by its name."""
    names = [f"bench-{number:05}" for number in range(count)]
    return Configuration(
        (),
        tuple(QueueSpec(name, {"durable": 1, "qpid.max_size": 100000}) for name in names),
        tuple(BindingSpec("amq.direct", name, name) for name in names),
    )


def create_calls(config: Configuration) -> str:
    """The same creates as bare_create.py input: queues first, then bindings."""
    calls = [
        {"type": "queue", "name": q.name, "properties": dict(q.properties), "strict": True}
        for q in config.queues
    ]
    calls += [
        {"type": "binding", "name": f"{b.exchange}/{b.queue}/{b.key}", "properties": {},
         "strict": True}
        for b in config.bindings
    ]  # fmt: skip
    return "".join(json.dumps(call) + "\n" for call in calls)


def clean(address: str) -> None:
    """Delete the ``bench-*`` queues (and so their bindings), pipelined, nothing else."""
    with Broker.connect(ConnectionSettings(parse_address(address), timeout=60)) as broker:
        ours = exported(
            broker.current_configuration(), include_all=True, queues="bench-*", exchanges="bench-*"
        )
        broker.apply(plan(Configuration(), CurrentConfiguration(ours), prune=True))


@contextmanager
def broker_for_run() -> Iterator[str]:
    """The external broker, cleaned before and after; or a fresh double."""
    external = os.environ.get("QPIDTOOLS_BENCH_BROKER")
    if external:
        clean(external)
        try:
            yield external
        finally:
            clean(external)
    else:
        with BrokerDouble() as double:
            yield double.address


Command = Callable[[str], list[str]]


def timed(runs: int, action: Command, populate: Command | None = None) -> float:
    """Median wall time of the command ``action(address)`` over ``runs`` brokers, each first
    populated by the (untimed) command ``populate(address)``."""
    samples = []
    for _ in range(runs):
        with broker_for_run() as address:
            if populate is not None:
                time_command(populate(address), 1)
            samples.append(time_command(action(address), 1))
    return sorted(samples)[len(samples) // 2]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queues", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    arguments = parser.parse_args()
    config = configuration(arguments.queues)
    with tempfile.TemporaryDirectory() as folder:
        config_file = Path(folder, "bench.yaml")
        config_file.write_text(dump(config))
        calls = Path(folder, "calls.jsonl")
        calls.write_text(create_calls(config))
        start = time.perf_counter()
        bare_create = timed(
            arguments.runs, lambda a: [PYTHON, str(HERE / "bare_create.py"), a, str(calls)]
        )

        def apply(address: str) -> list[str]:
            return [script("qpid-config"), "-b", address, "apply", str(config_file)]

        applied = timed(arguments.runs, apply)
        bare_query = timed(
            arguments.runs,
            lambda a: [PYTHON, str(HERE / "bare_query.py"), a, "queue", "exchange", "binding"],
            populate=apply,
        )
        unchanged = timed(arguments.runs, apply, populate=apply)
        took = time.perf_counter() - start
    print(
        f"{arguments.queues} queues and bindings: bare pipelined creates {bare_create:.2f} s, "
        f"apply {applied:.2f} s; bare queries {bare_query:.2f} s, unchanged apply "
        f"{unchanged:.2f} s ({took:.0f} s in all)"
    )
    first = verdict("apply / bare pipelined creates", applied / bare_create, RATIO, unit="x")
    second = verdict("unchanged apply / bare queries", unchanged / bare_query, RATIO, unit="x")
    return 0 if first and second else 1


if __name__ == "__main__":
    sys.exit(main())
