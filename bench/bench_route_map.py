"""``qpid-route route map`` over 10 brokers, 3 of them silent: one timeout, not three.

Seven doubles and three silent brokers (listening sockets that never answer): the first
double has a link to each of the nine others, and some doubles link to each other too (the
map must visit each broker once). The brokers found through links are asked in parallel, so
the run must finish within one timeout plus the tool's own start-up and connect time.

Run: ``.venv/bin/python bench/bench_route_map.py``. Exit status 1 when over the target.
"""

from __future__ import annotations

import socket
import sys
from contextlib import ExitStack

from common import PYTHON, script, time_command, verdict

from qpidtools.address import parse_address
from qpidtools.broker import Broker
from qpidtools.testing import BrokerDouble
from qpidtools.transport import ConnectionSettings

TIMEOUT_S = 1.0
DOUBLES = 7
SILENT = 3
OVERHEAD_S = 0.8  # start-up of the tool and its connections, on top of one timeout
RUNS = 5


def link(from_address: str, to_port: int) -> None:
    with Broker.connect(ConnectionSettings(parse_address(from_address))) as api:
        api.add_link(f"to-{to_port}", "127.0.0.1", to_port)


def main() -> int:
    with ExitStack() as stack:
        doubles = [stack.enter_context(BrokerDouble()) for _ in range(DOUBLES)]
        silent = [
            stack.enter_context(socket.create_server(("127.0.0.1", 0))) for _ in range(SILENT)
        ]
        first, *others = doubles
        for port in [d.port for d in others] + [s.getsockname()[1] for s in silent]:
            link(first.address, port)
        for a, b in zip(others, others[1:], strict=False):  # links among the others too
            link(a.address, b.port)
        argv = [script("qpid-route"), "route", "map", first.address]
        elapsed = time_command([*argv, "--timeout", str(TIMEOUT_S)], RUNS)
        baseline = time_command([PYTHON, "-c", "pass"], RUNS)
    brokers = DOUBLES + SILENT
    print(
        f"route map, {brokers} brokers, {SILENT} silent, --timeout {TIMEOUT_S:g}: {elapsed:.3f} s"
    )
    return 0 if verdict("route map", elapsed - baseline, TIMEOUT_S + OVERHEAD_S) else 1


if __name__ == "__main__":
    sys.exit(main())
