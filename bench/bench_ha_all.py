"""``qpid-ha status --all``: brokers are asked in parallel, so silent members cost one timeout.

A standalone double lists itself and three silent members (listening sockets that never
answer) in its brokers URL. Asked one after another they would cost three timeouts; in
parallel the run must finish within one timeout plus the tool's own start-up and connect time.

Run: ``.venv/bin/python bench/bench_ha_all.py``. Exit status 1 when over the target.
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
SILENT_MEMBERS = 3
OVERHEAD_S = 0.8  # start-up of the tool and its connections, on top of one timeout
RUNS = 5


def main() -> int:
    with ExitStack() as stack:
        broker = stack.enter_context(BrokerDouble())
        silent = [
            stack.enter_context(socket.create_server(("127.0.0.1", 0)))
            for _ in range(SILENT_MEMBERS)
        ]
        members = [broker.address] + [f"127.0.0.1:{s.getsockname()[1]}" for s in silent]
        with Broker.connect(ConnectionSettings(parse_address(broker.address))) as api:
            api.set_brokers_url("amqp:" + ",".join(f"tcp:{member}" for member in members))
        argv = [script("qpid-ha"), "status", "--all", "-b", broker.address]
        elapsed = time_command([*argv, "--timeout", str(TIMEOUT_S)], RUNS)
        baseline = time_command([PYTHON, "-c", "pass"], RUNS)
    print(
        f"status --all, {SILENT_MEMBERS} silent members, --timeout {TIMEOUT_S:g}: {elapsed:.3f} s"
    )
    return 0 if verdict("status --all", elapsed - baseline, TIMEOUT_S + OVERHEAD_S) else 1


if __name__ == "__main__":
    sys.exit(main())
