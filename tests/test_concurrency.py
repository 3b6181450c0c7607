"""Many tools at once against one broker (issue 7, item 10): every one succeeds, none is left.

Fifty `qpid-config` processes start together, as fifty config-management runs or hooks might.
They are real processes against the `broker` fixture (a real qpidd when configured). The
generous per-command timeout keeps a loaded 2-core machine from failing the test: what is
checked is that every change is made exactly once and reported as made.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from qpidtools.address import parse_address
from qpidtools.broker import Broker
from qpidtools.testing.plugin import BrokerHandle
from qpidtools.transport import ConnectionSettings

PROCESSES = 50
TIMEOUT_S = "120"  # per reply: a broker answering fifty clients on two cores is slow, not dead
GUARD_S = 600  # only keeps a broken build from hanging the suite
QPID_CONFIG = str(Path(sys.executable).parent / "qpid-config")


def all_at_once(address: str, *command: str, names: list[str]) -> list[tuple[int, str]]:
    """Run ``qpid-config COMMAND NAME`` for every name, all started before any is waited for."""
    running = [
        subprocess.Popen(
            [QPID_CONFIG, "-b", address, "--timeout", TIMEOUT_S, *command, name],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in names
    ]
    errors = [process.communicate(timeout=GUARD_S)[1] for process in running]
    return [(process.returncode, error) for process, error in zip(running, errors, strict=True)]


@pytest.mark.fresh_broker  # fixed names; every crowd-* queue on the broker is counted
def test_fifty_adds_then_fifty_deletes_at_once(broker: BrokerHandle) -> None:
    names = [f"crowd-{n:02}" for n in range(PROCESSES)]
    added = all_at_once(broker.address, "add", "queue", names=names)
    assert added == [(0, "")] * PROCESSES
    settings = ConnectionSettings(parse_address(broker.address), timeout=60)
    with Broker.connect(settings) as api:
        assert sorted(q.name for q in api.queues() if q.name.startswith("crowd-")) == names
    deleted = all_at_once(broker.address, "del", "queue", names=names)
    assert deleted == [(0, "")] * PROCESSES
    with Broker.connect(settings) as api:
        assert [q.name for q in api.queues() if q.name.startswith("crowd-")] == []
