"""Shared timing helpers for the benchmarks: best-of-N wall time of a subprocess."""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path

PYTHON = sys.executable


def script(name: str) -> str:
    """The console script installed beside this interpreter: what users really run."""
    return str(Path(PYTHON).parent / name)


def run_once(
    argv: Sequence[str], env: dict[str, str] | None = None, *, exit_code: int = 0
) -> tuple[float, float]:
    """Wall time and CPU time (user + system) of one run of ``argv``; fails loudly if it
    exits with another status than ``exit_code``."""
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = subprocess.run(
        argv,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, **(env or {})},
        check=False,
    )
    wall = time.perf_counter() - start
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != exit_code:
        raise SystemExit(f"{' '.join(argv)} exited {result.returncode}, not {exit_code}")
    cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    return wall, cpu


def time_command(
    argv: Sequence[str], runs: int, env: dict[str, str] | None = None, *, exit_code: int = 0
) -> float:
    """Median wall time of ``argv`` over ``runs`` runs (see :func:`run_once`)."""
    return statistics.median(run_once(argv, env, exit_code=exit_code)[0] for _ in range(runs))


def verdict(name: str, measured: float, limit: float, unit: str = "s") -> bool:
    ok = measured <= limit
    print(f"{name}: {measured:.3f} {unit} (limit {limit:.3f} {unit}) {'PASS' if ok else 'FAIL'}")
    return ok


@contextmanager
def broker_with_queues(count: int) -> Iterator[str]:
    """The address of $QPIDTOOLS_BENCH_BROKER (it must hold no ``bench-*`` queues), or of a
    broker double, with ``count`` queues ``bench-NNNNN`` for as long as the block runs."""
    from qpidtools.address import parse_address
    from qpidtools.broker import Broker
    from qpidtools.testing import BrokerDouble
    from qpidtools.transport import ConnectionSettings

    with ExitStack() as stack:
        address = (
            os.environ.get("QPIDTOOLS_BENCH_BROKER")
            or stack.enter_context(BrokerDouble(ha="standalone")).address
        )
        settings = ConnectionSettings(parse_address(address), timeout=60)
        with Broker.connect(settings) as broker:
            for number in range(count):
                broker.add_queue(f"bench-{number:05}", {})
        try:
            yield address
        finally:
            with Broker.connect(settings) as broker:
                for number in range(count):
                    broker.delete("queue", f"bench-{number:05}")
